"""Writes the forget benchmark's sparse lake (bench/forget.ts): objects as compaction leaves them, 8 row
groups each (GZIP, about 6 MB each, above S3's 5 MiB part minimum as real row groups of 128 MB and more
are: customer_id, event_time and a 48-character hex payload), every
customer's rows in ONE row group of one object. Prints the files and, per file, the customers of its
row group 3 (the subjects a sparse batch names).
Usage: make_sparse_lake.py <dir> <objects> [rows per row group]"""
import json
import os
import random
import sys

import pyarrow as pa
import pyarrow.parquet as pq

out_dir, objects = sys.argv[1], int(sys.argv[2])
ROWS = int(sys.argv[3]) if len(sys.argv) > 3 else 180_000
GROUPS = 8
rng = random.Random(21)
files = []
for o in range(objects):
    n = GROUPS * ROWS
    payload = rng.randbytes(24 * n).hex()
    offsets = pa.array(range(0, (n + 1) * 48, 48), pa.int32())
    table = pa.table(
        {
            # Customers of one row group only: o<object>g<group>-<k>, 20 rows each.
            "customer_id": pa.array([f"o{o}g{i // ROWS}-{(i % ROWS) // 20:05d}" for i in range(n)]),
            "event_time": pa.array(range(1_700_000_000_000, 1_700_000_000_000 + n), pa.timestamp("ms")),
            "payload": pa.StringArray.from_buffers(n, offsets.buffers()[1], pa.py_buffer(payload.encode())),
        }
    )
    path = os.path.join(out_dir, f"sparse-{o:02d}.parquet")
    pq.write_table(table, path, compression="GZIP", row_group_size=ROWS)
    files.append({"file": path, "subjects": [f"o{o}g3-{k:05d}" for k in range(0, ROWS // 20, ROWS // 20 // 100)]})
print(json.dumps(files))
