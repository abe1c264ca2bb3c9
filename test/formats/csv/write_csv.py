"""Writes CSV/TSV fixtures with Python's csv module (the reference writer) from a JSON spec.

Usage: write_csv.py SPEC.json. The spec: {"path", "rows": [[str]], "header": [str] | null,
"dialect": {"delimiter", "quotechar", "escapechar", "doublequote", "quoting", "lineterminator"},
"gzip": bool, "final_newline": bool}. quoting is "minimal", "all" or "none".
Prints, as JSON, the text the writer gave the header and each row ({"header": str | null, "rows":
[str]}): the tests' expected bytes, checked here to make up the file exactly.
"""
import csv
import gzip
import io
import json
import sys

QUOTING = {"minimal": csv.QUOTE_MINIMAL, "all": csv.QUOTE_ALL, "none": csv.QUOTE_NONE}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    d = spec.get("dialect", {})
    out = io.StringIO(newline="")
    writer = csv.writer(
        out,
        delimiter=d.get("delimiter", ","),
        quotechar=d.get("quotechar", '"'),
        escapechar=d.get("escapechar"),
        doublequote=d.get("doublequote", True),
        quoting=QUOTING[d.get("quoting", "minimal")],
        lineterminator=d.get("lineterminator", "\r\n"),
    )

    def written(row: list) -> str:
        start = out.tell()
        writer.writerow(row)
        return out.getvalue()[start:]

    header = written(spec["header"]) if spec.get("header") else None
    rows = [written(row) for row in spec["rows"]]
    terminator = d.get("lineterminator", "\r\n")
    if not spec.get("final_newline", True) and rows and rows[-1].endswith(terminator):
        rows[-1] = rows[-1][: -len(terminator)]
    text = (header or "") + "".join(rows)
    assert out.getvalue().startswith(text)
    data = text.encode("utf-8")
    if spec.get("gzip"):
        data = gzip.compress(data)
    with open(spec["path"], "wb") as f:
        f.write(data)
    json.dump({"header": header, "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
