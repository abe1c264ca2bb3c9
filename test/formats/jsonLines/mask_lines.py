"""JSON Lines for the mask strategy's test (test/formats/jsonLines/mask.test.ts), written by Python's json.

write <file> <seed> [strings]: rows with a plain ID (`customer_id`, string or integer; string only
with `strings`, for DuckDB's read_json, which types a mixed column JSON), a struct (`user.email`,
`user.name`), other columns, and an array of IDs (`friends`), each line dumped in one of several
json.dumps styles (default, compact separators, sorted keys, non-ASCII kept); prints nothing.
check: reads {"original", "masked", "ids", "hashes", "columns", "array"} on stdin and prints the
problems: a row holding a subject (its ID, or an element of `array`) must be the original with each
masked column set (null, or the subject's hash from `hashes`) and the subjects' elements removed from
`array`; every other line must be byte-identical.
"""
import json
import random
import sys

STYLES = [
    {},
    {"separators": (",", ":")},
    {"sort_keys": True},
    {"ensure_ascii": False},
    {"separators": (", ", " : ")},
]


def write(path, seed, strings=False):
    rnd = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(200):
            cid = rnd.randrange(40)
            row = {
                "customer_id": cid if i % 3 == 0 and not strings else str(cid),
                "user": {"email": f"p{cid}@example.com", "name": f"Zoë {cid}", "age": 20 + cid},
                "amount": rnd.randrange(10000) / 100,
                "friends": [str(rnd.randrange(40)) for _ in range(rnd.randrange(5))],
                "note": "line\twith \"quotes\" and \u00e9",
            }
            f.write(json.dumps(row, **STYLES[i % len(STYLES)]) + "\n")


def id_of(v):
    return str(v) if isinstance(v, (str, int)) and not isinstance(v, bool) else None


def check(spec):
    problems = []
    ids = set(spec["ids"])
    original = spec["original"].split("\n")
    masked = spec["masked"].split("\n")
    if len(original) != len(masked):
        return [f"{len(original)} lines became {len(masked)}"]
    masked_rows = 0
    for n, (a, b) in enumerate(zip(original, masked), 1):
        if a.strip() == "":
            if a != b:
                problems.append(f"line {n}: blank line changed")
            continue
        row = json.loads(a)
        key = id_of(row.get("customer_id")) if not spec["array"] else None
        hits = [key] if key in ids else []
        if spec["array"]:
            hits = [e for e in row.get(spec["array"], []) if id_of(e) in ids]
        if not hits:
            if a != b:
                problems.append(f"line {n}: no subject, but changed")
            continue
        masked_rows += 1
        want = json.loads(a)
        for path, how in spec["columns"].items():
            *parents, last = path.split(".")
            node = want
            for p in parents:
                node = node.get(p) if isinstance(node, dict) else None
            if isinstance(node, dict) and last in node:
                node[last] = None if how == "null" else spec["hashes"][id_of(hits[0])]
        if spec["array"]:
            want[spec["array"]] = [e for e in want[spec["array"]] if id_of(e) not in ids]
        got = json.loads(b)
        if got != want:
            problems.append(f"line {n}: {got!r} is not {want!r}")
        if list(got.keys()) != list(want.keys()):
            problems.append(f"line {n}: member order changed")
    return {"problems": problems, "masked": masked_rows}


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]), sys.argv[4:] == ["strings"])
    else:
        print(json.dumps(check(json.load(sys.stdin))))
