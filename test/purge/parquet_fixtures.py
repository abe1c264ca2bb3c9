"""Parquet fixtures and checks for the purge tests, with pyarrow as the reference implementation.

  make <kind> <codec> <out.parquet>      writes a fixture (kinds below)
  check <in> <out> <spec.json>           compares our output with pyarrow's own filtering of the input
  fuzzcheck <manifest.json>              the corruption fuzz's oracle, for many purged cases at once

spec.json: {"columns": ["customer_id"] or ["user.id"], "ids": [["c1"], ...]} (one list per composite key)
"""
import json
import sys
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROWS = 5000
ROW_GROUP = 1100  # several row groups, the last one short


def customer(i):
    return None if i % 97 == 0 else f"c{i % 300:04d}"


def base_columns(n):
    start = datetime(2024, 3, 1, 12, 0, 0)
    return {
        "customer_id": pa.array([customer(i) for i in range(n)], pa.string()),
        "account_no": pa.array([None if i % 89 == 0 else 10_000 + (i % 250) for i in range(n)], pa.int64()),
        "event_type": pa.array([["view", "click", "buy"][i % 3] for i in range(n)]).dictionary_encode(),
        "user": pa.array(
            [{"id": customer(i), "country": ["DE", "FR", "NL"][i % 3]} for i in range(n)],
            pa.struct([("id", pa.string()), ("country", pa.string())]),
        ),
        "amount": pa.array([i * 0.25 if i % 11 else None for i in range(n)], pa.float64()),
        "qty": pa.array([i % 7 for i in range(n)], pa.int32()),
        "flag": pa.array([i % 2 == 0 for i in range(n)], pa.bool_()),
        "day": pa.array([(start + timedelta(days=i % 40)).date() for i in range(n)], pa.date32()),
        "payload": pa.array([f"payload-{i:08d}-" + "x" * (i % 50) for i in range(n)], pa.string()),
        "_start": start,
    }


def make_fuzz(kind, codec, out):
    """Small files for the corruption fuzz: 4 row groups of 60 rows, pages of about 512 bytes.

    customer_id: c00..c19, every ID in every row group; account_no: 10 values per row group, none shared.
    fuzz-crc: DataPage V2 with page CRCs (a flipped page body is detectable without decoding it).
    """
    n = 240
    table = pa.table(
        {
            "customer_id": pa.array([None if i % 23 == 0 else f"c{i % 20:02d}" for i in range(n)], pa.string()),
            "account_no": pa.array([1000 + (i // 60) * 10 + i % 10 for i in range(n)], pa.int64()),
            "payload": pa.array([f"p{i:05d}-" + "y" * (i % 17) for i in range(n)], pa.string()),
            "amount": pa.array([None if i % 7 == 0 else i * 1.5 for i in range(n)], pa.float64()),
            "user": pa.array(
                [{"id": f"u{i % 9}", "country": ["DE", "FR"][i % 2]} for i in range(n)],
                pa.struct([("id", pa.string()), ("country", pa.string())]),
            ),
            "flag": pa.array([i % 3 == 0 for i in range(n)], pa.bool_()),
        }
    )
    kwargs = dict(compression=codec, row_group_size=60, data_page_size=512)
    if kind == "fuzz-crc":
        kwargs.update(write_page_checksum=True, data_page_version="2.0")
    pq.write_table(table, out, **kwargs)


def make_wide(codec, out):
    """8 row groups of about 3 MiB (1,100 rows, one customer each, a 2,800-byte incompressible blob):
    row groups shorter than S3's 5 MiB part minimum, so parts straddle them (test/purge/multipartPurge.test.ts).
    """
    import random

    n = 8 * 1100
    rnd = random.Random(21)
    table = pa.table(
        {
            "customer_id": pa.array([f"w{i:05d}" for i in range(n)], pa.string()),
            "qty": pa.array([i % 7 for i in range(n)], pa.int32()),
            "blob": pa.array([rnd.randbytes(2800) for _ in range(n)], pa.binary()),
        }
    ).replace_schema_metadata({"writer": "lethe-test", "origin": "wide"})
    pq.write_table(table, out, compression=codec, row_group_size=1100, data_page_size=256 * 1024)


def make(kind, codec, out):
    if kind.startswith("fuzz"):
        return make_fuzz(kind, codec, out)
    if kind == "wide":
        return make_wide(codec, out)
    n = ROWS
    cols = base_columns(n)
    start = cols.pop("_start")
    micro = [start + timedelta(seconds=i, microseconds=(i * 37) % 1_000_000) for i in range(n)]
    kwargs = dict(compression=codec, row_group_size=ROW_GROUP, data_page_size=16 * 1024)
    if kind == "lake":  # ms and us timestamps, strings, ints, struct, dictionary
        cols["event_time_ms"] = pa.array([t.replace(microsecond=(t.microsecond // 1000) * 1000) for t in micro], pa.timestamp("ms"))
        cols["event_time_us"] = pa.array([t.replace(tzinfo=timezone.utc) for t in micro], pa.timestamp("us", tz="UTC"))
    elif kind == "int96":  # what Firehose/Hive write: INT96 timestamps, nanosecond precision kept
        ns = [int((t - datetime(1970, 1, 1)).total_seconds()) * 1_000_000_000 + (i * 7919) % 1_000_000_000 for i, t in enumerate(micro)]
        cols["event_time"] = pa.array([None if i % 13 == 0 else v for i, v in enumerate(ns)], pa.timestamp("ns"))
        cols["old_time"] = pa.array([-5_000_000_000_000_000_000 + i for i in range(n)], pa.timestamp("ns"))  # year 1811
        kwargs.update(use_deprecated_int96_timestamps=True, store_schema=False)  # no ARROW:schema, like Hive
    elif kind == "int96-hinted":  # INT96 with pyarrow's ARROW:schema saying timestamp[ms] / [us, UTC]
        cols["event_time"] = pa.array([t.replace(microsecond=(t.microsecond // 1000) * 1000) for t in micro], pa.timestamp("ms"))
        cols["event_time_us"] = pa.array([t.replace(tzinfo=timezone.utc) for t in micro], pa.timestamp("us", tz="UTC"))
        kwargs.update(use_deprecated_int96_timestamps=True)
    elif kind == "bigint":  # integer IDs beyond 2^53: neighbours a double cannot tell apart
        edges = [2**53, 2**53 + 1, 2**53 + 2, 2**63 - 1, 2**63 - 2, -(2**63), -(2**63) + 1, 7]
        cols["big_id"] = pa.array([None if i % 31 == 0 else edges[i % len(edges)] for i in range(n)], pa.int64())
        cols["big_u"] = pa.array([2**64 - 1 - (i % 3) for i in range(n)], pa.uint64())
    elif kind == "decimal":  # pyarrow stores decimal(9,2) as FIXED_LEN_BYTE_ARRAY; parquet-wasm would not
        from decimal import Decimal
        cols["price"] = pa.array([Decimal(i) / 100 for i in range(n)], pa.decimal128(9, 2))
    else:
        raise SystemExit(f"unknown fixture kind {kind}")
    table = pa.table(cols)
    table = table.replace_schema_metadata({"writer": "lethe-test", "origin": "fixture"})
    pq.write_table(table, out, **kwargs)


def key_of(table, columns):
    arrays = []
    for c in columns:
        parts = c.split(".")
        arr = table.column(parts[0])
        for p in parts[1:]:
            arr = pc.struct_field(arr, p)
        arrays.append(arr.to_pylist())
    return [tuple(v) for v in zip(*arrays)]


def chunk_bytes(path, pf, g):
    md = pf.metadata.row_group(g)
    data = open(path, "rb").read()
    out = []
    for j in range(md.num_columns):
        c = md.column(j)
        start = c.dictionary_page_offset if c.has_dictionary_page else c.data_page_offset
        out.append(data[start : start + c.total_compressed_size])
    return out


def normalise(v):
    return None if v is None else str(v)


def check(inp, out, spec_path):
    spec = json.load(open(spec_path))
    ids = {tuple(k) for k in spec["ids"]}
    src = pq.ParquetFile(inp)
    dst = pq.ParquetFile(out)
    report = {"problems": []}
    problems = report["problems"]

    expected_groups = []
    source_index = []
    for g in range(src.num_row_groups):
        t = src.read_row_group(g)
        keys = key_of(t, spec["columns"])
        keep = [not (all(x is not None for x in k) and tuple(normalise(x) for x in k) in ids) for k in keys]
        expected_groups.append(t.filter(pa.array(keep)))
        source_index.append(g)
    source_index = [g for g, t in zip(source_index, expected_groups) if t.num_rows > 0]
    expected_groups = [t for t in expected_groups if t.num_rows > 0]
    report["rowsBefore"] = src.metadata.num_rows
    report["rowsAfter"] = dst.metadata.num_rows
    report["expectedRowsAfter"] = sum(t.num_rows for t in expected_groups)

    if not src.schema.equals(dst.schema):
        problems.append(f"parquet schema differs:\n{src.schema}\n---\n{dst.schema}")
    if not src.schema_arrow.equals(dst.schema_arrow, check_metadata=True):
        problems.append(f"arrow schema differs:\n{src.schema_arrow}\n---\n{dst.schema_arrow}")
    if src.metadata.metadata != dst.metadata.metadata:
        problems.append("key-value metadata differs")
    if dst.num_row_groups != len(expected_groups):
        problems.append(f"row groups: {dst.num_row_groups}, expected {len(expected_groups)}")
    else:
        for g, exp in enumerate(expected_groups):
            got = dst.read_row_group(g)
            if got.num_rows != exp.num_rows:
                problems.append(f"row group {g}: {got.num_rows} rows, expected {exp.num_rows}")
            elif not got.equals(exp):
                for name in exp.column_names:
                    # A dictionary may list its values in another order: compare the decoded values.
                    if got.column(name).to_pylist() != exp.column(name).to_pylist():
                        problems.append(f"row group {g} column {name} differs")
            md = dst.metadata.row_group(g)
            for j in range(md.num_columns):
                c = md.column(j)
                sc = src.metadata.row_group(0).column(j)
                if c.compression != sc.compression:
                    problems.append(f"row group {g} column {c.path_in_schema}: codec {c.compression}, was {sc.compression}")
                if c.physical_type != sc.physical_type:
                    problems.append(f"row group {g} column {c.path_in_schema}: type {c.physical_type}, was {sc.physical_type}")
    # Output row groups whose column chunks are byte-for-byte the input's (untouched row groups).
    report["identicalRowGroups"] = [
        g for g in range(min(dst.num_row_groups, len(source_index))) if chunk_bytes(inp, src, source_index[g]) == chunk_bytes(out, dst, g)
    ]
    report["codecs"] = sorted({src.metadata.row_group(0).column(j).compression for j in range(src.metadata.num_columns)})
    report["physicalTypes"] = [src.metadata.row_group(0).column(j).physical_type for j in range(src.metadata.num_columns)]
    report["rowGroupRows"] = [dst.metadata.row_group(g).num_rows for g in range(dst.num_row_groups)]
    report["inputRowGroupRows"] = [src.metadata.row_group(g).num_rows for g in range(src.num_row_groups)]
    print(json.dumps(report))


def read_all(path):
    """The file's rows as pyarrow reads them (page CRCs verified), or the reason it cannot."""
    try:
        pf = pq.ParquetFile(path, page_checksum_verification=True)
        return pa.concat_tables([pf.read_row_group(g) for g in range(pf.num_row_groups)] or [pf.schema_arrow.empty_table()]), None
    except Exception as e:  # noqa: BLE001 - any failure to read is the answer
        return None, f"{type(e).__name__}: {e}"


def fuzz_check(manifest_path):
    """For each purged case: pyarrow reads the output, and its rows are exactly the input's
    non-matching rows (the input as pyarrow reads it). For a refused case (no output): null when
    pyarrow reads the input, else why not."""
    results = []
    for case in json.load(open(manifest_path)):
        if case.get("output") is None:  # a refused case: does pyarrow read its input?
            results.append(read_all(case["input"])[1])
            continue
        ids = {tuple(k) for k in case["ids"]}
        got, why = read_all(case["output"])
        if got is None:
            results.append(f"pyarrow cannot read the output: {why}")
            continue
        src, why = read_all(case["input"])
        if src is None:
            results.append(f"lethe purged an input pyarrow cannot read: {why}")
            continue
        keys = key_of(src, case["columns"])
        keep = [not (all(x is not None for x in k) and tuple(normalise(x) for x in k) in ids) for k in keys]
        expected = src.filter(pa.array(keep, pa.bool_()))
        if got.num_rows != expected.num_rows:
            results.append(f"{got.num_rows} rows, expected {expected.num_rows}")
        elif got.column_names != expected.column_names:
            results.append("columns differ")
        else:
            diff = [c for c in expected.column_names if got.column(c).to_pylist() != expected.column(c).to_pylist()]
            results.append(f"columns differ: {diff}" if diff else None)
    print(json.dumps(results))


def ids_present(inp, columns, limit):
    """Prints up to `limit` distinct non-null keys of `columns`, for tests to choose IDs from."""
    t = pq.read_table(inp)
    keys = []
    seen = set()
    for k in key_of(t, columns):
        if all(x is not None for x in k) and k not in seen:
            seen.add(k)
            keys.append([normalise(x) for x in k])
    print(json.dumps(keys[: int(limit)]))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        make(*sys.argv[2:5])
    elif cmd == "check":
        check(*sys.argv[2:5])
    elif cmd == "fuzzcheck":
        fuzz_check(sys.argv[2])
    elif cmd == "ids":
        ids_present(sys.argv[2], sys.argv[3].split(","), sys.argv[4])
    else:
        raise SystemExit(f"unknown command {cmd}")
