#!/usr/bin/env bash
# Creates ./.venv with the pinned Python side of the harness (moto server, pyarrow) on first use,
# and again whenever requirements-test.txt changes.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.lethe-requirements.sha256
want=$(sha256sum requirements-test.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "lethe: installing the local AWS emulator and test tools into .venv (moto, pyarrow, schemathesis)" >&2
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
  .venv/bin/python -c "import moto.server, pyarrow, schemathesis" # fails the script when the install did not work
  echo "$want" >"$stamp"
fi
