"""IDs inside arrays, pyarrow's and Python's side of test/formats/arrays/.

`write OUTDIR SEED`: writes events.parquet (pyarrow, several row groups: a LIST of strings
`customer_ids`, a LIST of structs `contacts` whose `customer_id` is int64, nulls at every level) and
events.jsonl (the same rows, one json.dumps line each); prints {"parquet": path, "jsonl": path}.
`check`: stdin {"original", "purged", "column", "ids"}: the rows of `original` none of whose elements at
`column` (`customer_ids[]` or `contacts[].customer_id`) is one of `ids`, compared with `purged` (values
and schema for Parquet, bytes for JSON Lines); prints {"problems": [...], "kept": n, "keys": {id: rows}}.
"""
import json
import os
import random
import sys

import pyarrow as pa
import pyarrow.parquet as pq

BIG = 9007199254740993  # 2^53 + 1: a JSON reader that rounds would match its neighbour


def rows(seed):
    rnd = random.Random(int(seed))
    out = []
    for i in range(90):
        ids = None if i % 17 == 5 else [None if rnd.random() < 0.1 else f"c{rnd.randrange(20)}" for _ in range(rnd.randrange(4))]
        contacts = None if i % 13 == 7 else [
            None if rnd.random() < 0.1 else {
                "customer_id": None if rnd.random() < 0.1 else (BIG if rnd.random() < 0.05 else rnd.randrange(20)),
                "role": rnd.choice(["owner", "billing", "tech"]),
            }
            for _ in range(rnd.randrange(4))
        ]
        if i == 3:  # IDs only this seed's object holds (find tests tell objects apart by them)
            ids = (ids or []) + [f"s{seed}"]
            contacts = (contacts or []) + [{"customer_id": 1000 + int(seed), "role": "owner"}]
        out.append({"event_id": i, "customer_ids": ids, "contacts": contacts, "note": f"row {i} ✓"})
    return out


SCHEMA = pa.schema(
    [
        ("event_id", pa.int64()),
        ("customer_ids", pa.list_(pa.string())),
        ("contacts", pa.list_(pa.struct([("customer_id", pa.int64()), ("role", pa.string())]))),
        ("note", pa.string()),
    ]
)


def write(outdir, seed):
    data = rows(seed)
    parquet = os.path.join(outdir, "events.parquet")
    pq.write_table(pa.Table.from_pylist(data, schema=SCHEMA), parquet, compression="snappy", row_group_size=25)
    jsonl = os.path.join(outdir, "events.jsonl")
    with open(jsonl, "w", encoding="utf-8") as f:
        for r in data:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(json.dumps({"parquet": parquet, "jsonl": jsonl}))


def values_at(row, column):
    if column == "customer_ids[]":
        return [str(v) for v in (row["customer_ids"] or []) if v is not None]
    if column == "contacts[].customer_id":
        return [str(c["customer_id"]) for c in (row["contacts"] or []) if c is not None and c["customer_id"] is not None]
    raise ValueError(column)


def check(spec):
    ids = set(spec["ids"])
    column = spec["column"]
    problems = []
    keys = {}
    if spec["original"].endswith(".parquet"):
        original = pq.read_table(spec["original"])
        data = original.to_pylist()
        kept = [r for r in data if not ids & set(values_at(r, column))]
        purged = pq.read_table(spec["purged"])
        if not purged.schema.equals(original.schema, check_metadata=True):
            problems.append("schema differs")
        if purged.to_pylist() != kept:
            problems.append(f"kept rows differ ({purged.num_rows} rows, expected {len(kept)})")
    else:
        with open(spec["original"], "rb") as f:
            lines = f.read().split(b"\n")
        data = [json.loads(l) for l in lines if l.strip()]
        expected = b"\n".join(l for l in lines if not l.strip() or not ids & set(values_at(json.loads(l), column)))
        with open(spec["purged"], "rb") as f:
            if f.read() != expected:
                problems.append("kept lines differ from the original's bytes")
        kept = [r for r in data if not ids & set(values_at(r, column))]
    for r in data:
        for v in set(values_at(r, column)):
            keys[v] = keys.get(v, 0) + 1
    print(json.dumps({"problems": problems, "kept": len(kept), "rows": len(data), "keys": keys}))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(*sys.argv[2:4])
    else:
        check(json.load(sys.stdin))
