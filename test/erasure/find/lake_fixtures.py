"""A small lake for the find tests, written by pyarrow: `lake_fixtures.py <out-dir>`.

<out>/orders/dt=YYYY-MM-DD/part-NN.parquet   Parquet, GZIP and SNAPPY alternating, several row groups
<out>/clicks/dt=YYYY-MM-DD/part-NN.jsonl     JSON Lines
<out>/visits/dt=YYYY-MM-DD/part-NN.jsonl.gz  gzipped JSON Lines

Each object draws its customers from its own window of the ID space, so a batch of IDs lands in some
objects and not others. Columns: customer_id (string), account_no (int64), tenant (string),
user {id: int64, country: string}, amount (float64), event_time (timestamp), payload (string).
"""
import gzip
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DAYS = [f"2024-03-{d:02d}" for d in range(1, 7)]
CUSTOMERS = 5000
WINDOW = 60


def rows(seed, n):
    start = (seed * 389) % CUSTOMERS
    out = []
    for i in range(n):
        c = (start + (i * 7) % WINDOW) % CUSTOMERS
        out.append(
            {
                "customer_id": None if i % 53 == 0 else f"c{c:05d}",
                "account_no": 100_000 + c,
                "tenant": f"t{c % 3}",
                "user": {"id": 900_000 + c, "country": ["DE", "FR", "NL"][i % 3]},
                "amount": (c * 0.5) + i,
                "event_time": datetime(2024, 3, 1) + timedelta(seconds=seed * 1000 + i),
                "payload": f"p-{seed}-{i}-" + "x" * (i % 40),
            }
        )
    return out


SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("account_no", pa.int64()),
        ("tenant", pa.string()),
        ("user", pa.struct([("id", pa.int64()), ("country", pa.string())])),
        ("amount", pa.float64()),
        ("event_time", pa.timestamp("ms")),
        ("payload", pa.string()),
    ]
)


def main(out):
    out = Path(out)
    seed = 0
    for d, day in enumerate(DAYS):
        for j in range(10):
            seed += 1
            p = out / "orders" / f"dt={day}" / f"part-{j:02d}.parquet"
            p.parent.mkdir(parents=True, exist_ok=True)
            table = pa.Table.from_pylist(rows(seed, 300), SCHEMA)
            pq.write_table(table, p, compression="GZIP" if j % 2 else "SNAPPY", row_group_size=100)
        for j in range(5):
            seed += 1
            for name, suffix in (("clicks", ".jsonl"), ("visits", ".jsonl.gz")):
                p = out / name / f"dt={day}" / f"part-{j:02d}{suffix}"
                p.parent.mkdir(parents=True, exist_ok=True)
                lines = []
                for r in rows(seed, 120):
                    r = dict(r, event_time=r["event_time"].isoformat())
                    if r["customer_id"] is None:
                        del r["customer_id"]
                    lines.append(json.dumps(r))
                body = ("\n".join(lines) + "\n").encode()
                p.write_bytes(gzip.compress(body) if suffix.endswith(".gz") else body)
    print(json.dumps({"days": DAYS}))


if __name__ == "__main__":
    main(sys.argv[1])
