"""pyarrow's side of the forget tests and benchmark (one process for many files).

`make OUTDIR COUNT ROWS CUSTOMERS SEED`: writes COUNT small GZIP Parquet objects as pyarrow writes them
(several row groups), customers `cust-0000`..., and prints their file names.
Otherwise, stdin: {"column": "customer_id", "keys": [file, ...], "survivors": [{"original", "purged", "ids"}, ...]}
stdout: {"keys": {file: [distinct non-null ids]}, "survivors": [{"problems": [...], "rows": n}, ...]}
"""
import json
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def make(outdir, count, rows, customers, seed):
    import os
    import random

    rnd = random.Random(int(seed))
    names = []
    for n in range(int(count)):
        ids = [f"cust-{rnd.randrange(int(customers)):04d}" for _ in range(int(rows))]
        t = pa.table(
            {
                "customer_id": pa.array(ids, type=pa.string()),
                "event_time": pa.array([1764460800000 + rnd.randrange(86400000) for _ in ids], type=pa.timestamp("ms")),
                "event_type": pa.array([rnd.choice(["page_view", "purchase", "login"]) for _ in ids]),
                "payload": pa.array([json.dumps({"n": n, "i": i}) for i in range(len(ids))]),
            }
        )
        name = os.path.join(outdir, f"part-{n:05d}.parquet")
        pq.write_table(t, name, compression="gzip", row_group_size=max(1, int(rows) // 3))
        names.append(name)
    print(json.dumps(names))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "make":
        make(*sys.argv[2:7])
        return
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
