"""Iceberg tables written and read by PyIceberg (an independent Iceberg implementation), its Glue
catalog and S3 file IO pointed at the local emulator (AWS_ENDPOINT_URL).

  make <database> <table> <bucket> <partitioned:0|1> <format-version:1|2>
      Creates the table and commits to it several times: old snapshots hold the subjects' rows,
      one commit deletes some rows (copy-on-write: PyIceberg 0.12 writes no delete files).
      Prints {"ids": [...], "rows": n, "snapshots": n}.
  append <database> <table> <first-id> <n>   one more commit (a concurrent writer)
  read <database> <table>
      Prints every snapshot's rows (customer_id only) and the current one's: what an Iceberg reader sees.
"""
import json
import os
import sys

import pyarrow as pa
from pyiceberg.catalog.glue import GlueCatalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import LongType, NestedField, StringType


def catalog():
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    return GlueCatalog(
        "lethe",
        **{
            "glue.endpoint": endpoint,
            "glue.region": os.environ.get("AWS_REGION", "eu-west-1"),
            "s3.endpoint": endpoint,
            "s3.region": os.environ.get("AWS_REGION", "eu-west-1"),
            "s3.access-key-id": "testing",
            "s3.secret-access-key": "testing",
            "s3.force-virtual-addressing": "false",
        },
    )


SCHEMA = Schema(
    NestedField(1, "customer_id", StringType(), required=False),
    NestedField(2, "country", StringType(), required=False),
    NestedField(3, "amount", LongType(), required=False),
    NestedField(4, "note", StringType(), required=False),
)

COUNTRIES = ["fr", "de", "nl"]


def rows(first, n):
    ids = [f"cust-{i:05d}" for i in range(first, first + n)]
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.string()),
            "country": pa.array([COUNTRIES[i % 3] for i in range(first, first + n)], pa.string()),
            "amount": pa.array([i * 7 for i in range(first, first + n)], pa.int64()),
            "note": pa.array([f"order of {x}" for x in ids], pa.string()),
        }
    )


def make(database, name, bucket, partitioned, version):
    cat = catalog()
    try:
        cat.create_namespace(database)
    except Exception:
        pass
    spec = (
        PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="country"))
        if partitioned
        else PartitionSpec()
    )
    table = cat.create_table(
        f"{database}.{name}",
        schema=SCHEMA,
        partition_spec=spec,
        location=f"s3://{bucket}/warehouse/{name}",
        properties={"format-version": str(version)},
    )
    # Four commits of 30 rows; then one commit deleting rows 0..9 (a copy-on-write rewrite), so the
    # older snapshots still hold rows that the current one does not.
    for c in range(4):
        table.append(rows(c * 30, 30))
    table.delete("customer_id IN ('cust-00000','cust-00001','cust-00002')")
    table = cat.load_table(f"{database}.{name}")
    print(
        json.dumps(
            {
                "rows": table.scan().to_arrow().num_rows,
                "snapshots": len(table.metadata.snapshots),
                "metadataLog": len(table.metadata.metadata_log),
            }
        )
    )


def append(database, name, first, n):
    table = catalog().load_table(f"{database}.{name}")
    table.append(rows(int(first), int(n)))
    print(json.dumps({"snapshot": table.current_snapshot().snapshot_id}))


def tag(database, name, which, tag_name):
    """Tags the table's first (`which` = first) snapshot."""
    table = catalog().load_table(f"{database}.{name}")
    snap = table.metadata.snapshots[0]
    table.manage_snapshots().create_tag(snap.snapshot_id, tag_name).commit()
    print(json.dumps({"tagged": str(snap.snapshot_id)}))


def grep(listing, ids):
    """Which of the local copies (Parquet, Avro, JSON) hold any of the ids, decoded (not raw bytes)."""
    import pyarrow.parquet as pq

    hits = []
    for item in json.load(open(listing)):
        path = item["file"]
        raw = open(path, "rb").read()
        texts = [raw.decode("latin-1")]
        if raw[:4] == b"PAR1":
            texts.append(json.dumps(pq.read_table(path).to_pylist(), default=str))
        for i in json.load(open(ids)):
            if any(i in t for t in texts):
                hits.append({"object": item["object"], "id": i})
    print(json.dumps(hits))


def read(database, name):
    table = catalog().load_table(f"{database}.{name}")
    out = {"current": None, "snapshots": {}, "history": [], "refs": {}}
    cur = table.current_snapshot()
    for snap in table.metadata.snapshots:
        t = table.scan(snapshot_id=snap.snapshot_id).to_arrow()
        out["snapshots"][str(snap.snapshot_id)] = sorted(t.column("customer_id").to_pylist())
    if cur is not None:
        t = table.scan().to_arrow()
        out["current"] = {
            "snapshot": str(cur.snapshot_id),
            "operation": cur.summary.operation.value if cur.summary else None,
            "ids": sorted(t.column("customer_id").to_pylist()),
            "rows": sorted(json.dumps(r, sort_keys=True) for r in t.to_pylist()),
        }
        files = table.inspect.files().select(["file_path", "record_count", "value_counts", "null_value_counts"])
        out["files"] = [
            {
                "path": f["file_path"],
                "records": f["record_count"],
                "valueCounts": dict(f["value_counts"] or []),
                "nullCounts": dict(f["null_value_counts"] or []),
            }
            for f in files.to_pylist()
        ]
    out["history"] = [str(h.snapshot_id) for h in table.history()]
    out["refs"] = {k: str(v.snapshot_id) for k, v in table.metadata.refs.items()}
    print(json.dumps(out))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "1", int(sys.argv[6]))
    elif cmd == "append":
        append(*sys.argv[2:6])
    elif cmd == "tag":
        tag(*sys.argv[2:6])
    elif cmd == "grep":
        grep(sys.argv[2], sys.argv[3])
    elif cmd == "read":
        read(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown command {cmd}")
