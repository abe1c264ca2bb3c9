"""pyarrow's side of the retention tests (test/erasure/retention.test.ts).

make <dir> <spec.json>: writes each object of the spec (key, rows: [[customer_id, event_time ISO, amount]])
  as GZIP Parquet, event_time a UTC timestamp[us]; prints nothing.
read <files.json>: prints, per file, its rows as [customer_id, event_time ISO, amount] lists.
"""
import json
import os
import sys
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("event_time", pa.timestamp("us", tz="UTC")),
        ("amount", pa.int64()),
    ]
)


def iso(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make(out_dir, spec_file):
    with open(spec_file) as f:
        spec = json.load(f)
    for obj in spec:
        rows = obj["rows"]
        table = pa.table(
            {
                "customer_id": [r[0] for r in rows],
                "event_time": [datetime.fromisoformat(r[1].replace("Z", "+00:00")) for r in rows],
                "amount": [r[2] for r in rows],
            },
            schema=SCHEMA,
        )
        path = os.path.join(out_dir, obj["file"])
        pq.write_table(table, path, compression="gzip", row_group_size=obj.get("rowGroupRows", 1000))


def read(files_file):
    with open(files_file) as f:
        files = json.load(f)
    out = {}
    for path in files:
        t = pq.read_table(path)
        out[path] = [
            [r["customer_id"], iso(r["event_time"]), r["amount"]] for r in t.to_pylist()
        ]
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        read(sys.argv[2])
