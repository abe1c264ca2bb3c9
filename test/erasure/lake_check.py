"""pyarrow's view of purged lake objects, for the forget tests (one process for many files).

stdin: {"column": "customer_id", "keys": [file, ...], "survivors": [{"original", "purged", "ids"}, ...]}
stdout: {"keys": {file: [distinct non-null ids]}, "survivors": [{"problems": [...], "rows": n}, ...]}
"""
import json
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def main():
    spec = json.load(sys.stdin)
    column = spec["column"]
    out = {"keys": {}, "survivors": []}
    for f in spec.get("keys", []):
        t = pq.read_table(f, columns=[column])
        out["keys"][f] = sorted({str(v) for v in t.column(column).to_pylist() if v is not None})
    for pair in spec.get("survivors", []):
        original = pq.read_table(pair["original"])
        purged = pq.read_table(pair["purged"])
        ids = pa.array(pair["ids"], type=pa.string())
        keep = pc.invert(pc.fill_null(pc.is_in(original.column(column).cast(pa.string()), value_set=ids), False))
        expected = original.filter(keep)
        problems = []
        if not purged.schema.equals(original.schema, check_metadata=True):
            problems.append("schema differs")
        if purged.num_rows != expected.num_rows:
            problems.append(f"{purged.num_rows} rows, expected {expected.num_rows}")
        elif purged.to_pylist() != expected.to_pylist():
            problems.append("surviving rows differ")
        out["survivors"].append({"problems": problems, "rows": purged.num_rows})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
