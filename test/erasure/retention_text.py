"""Python's side of test/erasure/retentionText.test.ts: objects written by the json and csv modules.

<spec.json> <out dir>: for each object of the spec ({file, format: "jsonl.gz" | "csv", rows: [[customer_id,
  event_time ISO or null, note]]}) writes JSON Lines through json.dumps (gzip) or CSV through csv.writer
  (the excel dialect: CRLF, minimal quoting) with a header line; prints nothing.
"""
import csv
import gzip
import json
import os
import sys


def main(spec_file, out_dir):
    with open(spec_file) as f:
        spec = json.load(f)
    for obj in spec:
        path = os.path.join(out_dir, obj["file"])
        rows = obj["rows"]
        if obj["format"] == "jsonl.gz":
            with gzip.open(path, "wt", encoding="utf-8", newline="\n") as out:
                for i, (cid, t, note) in enumerate(rows):
                    record = {"customer_id": cid, "event_time": t, "note": note}
                    # Both of json's spacings: every kept line must come back as written.
                    separators = (",", ":") if i % 2 else (", ", ": ")
                    out.write(json.dumps(record, separators=separators) + "\n")
        else:
            with open(path, "w", encoding="utf-8", newline="") as out:
                w = csv.writer(out)
                w.writerow(["customer_id", "event_time", "note"])
                for cid, t, note in rows:
                    w.writerow([cid, "" if t is None else t, note])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
