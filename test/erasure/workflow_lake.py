"""pyarrow's side of the local workflow tests: a lake as Firehose writes it, and the checks after.

`make OUTDIR SPEC`: SPEC is JSON {"days": [...], "perDay": n, "rows": n, "customers": n, "seed": s,
"prefix": "run", "firstCustomer"?: n (customers are c<first>..c<first+customers-1>)}; writes GZIP Parquet with INT96 timestamps and no ARROW:schema (as Firehose/Hive
write), several row groups, and prints [{"file", "day", "name"}].
`check`: stdin {"column", "ids": [...], "removed"?: [...], "files": [{"path", "original"?, "removed"?}]};
stdout per file {"matching": rows of the ids, "rows": n, "problems": [...]} where problems compares a
purged file with its original minus the rows of `removed` (default the ids; every ID erased from it so
far): schema and every other row, bit for bit as pyarrow reads them.
"""
import datetime
import json
import os
import random
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def make(outdir, spec_text):
    spec = json.loads(spec_text)
    rnd = random.Random(int(spec.get("seed", 1)))
    out = []
    for day in spec["days"]:
        for n in range(int(spec["perDay"])):
            first = int(spec.get("firstCustomer", 0))
            ids = [f"c{rnd.randrange(first, first + int(spec['customers'])):06d}" for _ in range(int(spec["rows"]))]
            base = int(datetime.datetime.fromisoformat(f"{day}T00:00:00+00:00").timestamp()) * 10**9
            t = pa.table(
                {
                    "customer_id": pa.array(ids, type=pa.string()),
                    "event_time": pa.array([base + rnd.randrange(86400 * 10**9) for _ in ids], type=pa.timestamp("ns")),
                    "event_type": pa.array([rnd.choice(["page_view", "purchase", "login"]) for _ in ids]),
                    "payload": pa.array([json.dumps({"n": n, "i": i}) for i in range(len(ids))]),
                }
            )
            name = f"{spec.get('prefix', 'part')}-{n:04d}.parquet"
            path = os.path.join(outdir, f"{day}-{name}")
            pq.write_table(
                t,
                path,
                compression="gzip",
                row_group_size=max(1, int(spec["rows"]) // 3),
                use_deprecated_int96_timestamps=True,
                store_schema=False,
            )
            out.append({"file": path, "day": day, "name": name})
    print(json.dumps(out))


def check():
    spec = json.load(sys.stdin)
    column = spec["column"]
    ids = pa.array(spec["ids"], type=pa.string())
    out = []
    for f in spec["files"]:
        t = pq.read_table(f["path"])
        hit = pc.fill_null(pc.is_in(t.column(column).cast(pa.string()), value_set=ids), False)
        entry = {"matching": int(pc.sum(hit).as_py() or 0), "rows": t.num_rows, "problems": []}
        if f.get("original"):
            original = pq.read_table(f["original"])
            removed = pa.array(f.get("removed", spec.get("removed", spec["ids"])), type=pa.string())
            keep = pc.invert(pc.fill_null(pc.is_in(original.column(column).cast(pa.string()), value_set=removed), False))
            expected = original.filter(keep)
            if not t.schema.equals(original.schema, check_metadata=False):
                entry["problems"].append("schema differs")
            if t.num_rows != expected.num_rows:
                entry["problems"].append(f"{t.num_rows} rows, expected {expected.num_rows}")
            elif not t.equals(expected):
                entry["problems"].append("surviving rows differ")
        out.append(entry)
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        check()
