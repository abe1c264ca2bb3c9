"""Writes the purge benchmark's reference file: 1,000,000 rows (customer_id, event_time, event_type,
~100-byte payload), 8 row groups, GZIP, the shape Firehose writes.
Usage: make_purge_reference.py <out> [int96]  (PURGE_REFERENCE_ROWS: fewer rows, for bench:purge --smoke)"""
import os
import random
import sys
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

ROWS = int(os.environ.get("PURGE_REFERENCE_ROWS", 1_000_000))
CUSTOMERS = 100_000

out = sys.argv[1]
int96 = len(sys.argv) > 2 and sys.argv[2] == "int96"
rng = random.Random(42)
customers = [rng.randrange(CUSTOMERS) for _ in range(ROWS)]
start = datetime(2024, 3, 1)
millis = sorted(rng.randrange(86_400_000) for _ in range(ROWS))
types = ["view", "click", "add_to_cart", "purchase", "search"]
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]


def payload(c):
    w = [rng.choice(words) for _ in range(6)]
    t = rng.randrange(16**14)
    return f'{{"session":"{t:014x}{c:07d}","page":"/{"/".join(w[:3])}","ref":"{"-".join(w[3:])}","v":{t % 997}}}'


table = pa.table(
    {
        "customer_id": pa.array([f"cust-{c:07d}" for c in customers], pa.string()),
        "event_time": pa.array([start + timedelta(milliseconds=m) for m in millis], pa.timestamp("ms")),
        "event_type": pa.array([rng.choice(types) for _ in range(ROWS)], pa.string()),
        "payload": pa.array([payload(c) for c in customers], pa.string()),
    }
)
pq.write_table(table, out, compression="GZIP", row_group_size=ROWS // 8, use_deprecated_int96_timestamps=int96)
sizes = [len(s) for s in table.column("payload").to_pylist()[:1000]]
print(f"wrote {out}: {table.num_rows} rows, mean payload {sum(sizes) / len(sizes):.0f} bytes")
