"""Writes the big-row-group benchmark's file: ONE row group of about 1 GB uncompressed (4,000,000 rows:
customer_id, event_time, event_type and eight 24-character hex payload columns of ~110 MB each), GZIP.
Generated in batches into an Arrow IPC file, which is then memory-mapped and written as one row group,
so the generator holds one batch in its own memory and the writer one column chunk's pages (the mapped
file's pages are the page cache's, not the process's).
Usage: make_big_row_group.py <out> [rows]"""
import os
import sys

import random
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

out = sys.argv[1]
ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 4_000_000
BATCH = 250_000
CUSTOMERS = 100_000
PAYLOADS = 8
WIDTH = 24
TYPES = pa.array(["view", "click", "add_to_cart", "purchase", "search"])


def fixed_strings(data: bytes, n: int, width: int) -> pa.Array:
    """A string array of n ASCII strings of `width` characters laid end to end in `data`."""
    offsets = pa.array(range(0, (n + 1) * width, width), pa.int32())
    return pa.StringArray.from_buffers(n, offsets.buffers()[1], pa.py_buffer(data))


def batch(rng: random.Random, first: int, n: int) -> pa.RecordBatch:
    customers = [rng.randrange(CUSTOMERS) for _ in range(n)]
    columns = {
        "customer_id": fixed_strings("".join(f"cust-{c:07d}" for c in customers).encode(), n, 12),
        "event_time": pa.array(
            [1_709_251_200_000 + 20 * i for i in range(first, first + n)], pa.timestamp("ms")
        ),
        "event_type": TYPES.take(pa.array([b % len(TYPES) for b in rng.randbytes(n)], pa.int8())),
    }
    for p in range(PAYLOADS):
        columns[f"payload_{p}"] = fixed_strings(rng.randbytes(n * WIDTH // 2).hex().encode(), n, WIDTH)
    return pa.RecordBatch.from_pydict(columns)


rng = random.Random(42)
staging = out + ".arrow"
writer = None
with pa.OSFile(staging, "wb") as sink:
    for first in range(0, ROWS, BATCH):
        b = batch(rng, first, min(BATCH, ROWS - first))
        if writer is None:
            writer = ipc.new_file(sink, b.schema)
        writer.write_batch(b)
    writer.close()
with pa.memory_map(staging) as source:
    table = ipc.open_file(source).read_all()
    pq.write_table(table, out, compression="GZIP", row_group_size=ROWS)
os.remove(staging)
meta = pq.ParquetFile(out).metadata
rg = meta.row_group(0)
print(
    f"wrote {out}: {meta.num_rows} rows, {meta.num_row_groups} row group, "
    f"{rg.total_byte_size / 1e6:.0f} MB uncompressed, {os.path.getsize(out) / 1e6:.0f} MB on disk"
)
