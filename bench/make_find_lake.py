"""The find benchmark's lake: `make_find_lake.py <out-dir> <target-bytes>`.

30 daily partitions (events/dt=2024-01-01 .. 2024-01-30), 4 SNAPPY Parquet objects a day, rows of a
short customer_id (the ID column), an event type and an incompressible 480-byte payload, so the ID
column is a small part of each row, as in a real event lake. Each object draws its customers from its
own window of 500 out of 200,000. Prints a JSON summary; writes `<out>/.complete` when done.
"""
import json
import os
import sys
from pathlib import Path

import random
import pyarrow as pa
import pyarrow.parquet as pq

DAYS = 30
OBJECTS_PER_DAY = 4
CUSTOMERS = 200_000
WINDOW = 500
PAYLOAD = 480


def main(out, target):
    out = Path(out)
    per_object = target // (DAYS * OBJECTS_PER_DAY)
    rows = max(100, per_object // (PAYLOAD + 4))  # hex does not shrink under SNAPPY
    rng = random.Random(42)
    total = 0
    for d in range(DAYS):
        for j in range(OBJECTS_PER_DAY):
            n = d * OBJECTS_PER_DAY + j
            start = (n * 7919) % CUSTOMERS
            ids = [(start + rng.randrange(WINDOW)) % CUSTOMERS for _ in range(rows)]
            payload = [os.urandom(PAYLOAD // 2).hex() for _ in range(rows)]
            table = pa.table(
                {
                    "customer_id": pa.array([f"c{i:06d}" for i in ids], pa.string()),
                    "event_type": pa.array([rng.choice(("view", "click", "buy")) for _ in range(rows)]).dictionary_encode(),
                    "payload": pa.array(payload, pa.string()),
                }
            )
            p = out / "events" / f"dt=2024-01-{d + 1:02d}" / f"part-{j}.parquet"
            p.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, p, compression="SNAPPY", row_group_size=64_000)
            total += p.stat().st_size
    (out / ".complete").write_text(json.dumps({"bytes": total, "objects": DAYS * OBJECTS_PER_DAY}))
    print(json.dumps({"bytes": total, "objects": DAYS * OBJECTS_PER_DAY, "rowsPerObject": rows}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
