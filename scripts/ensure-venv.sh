#!/usr/bin/env bash
# Creates ./.venv with the pinned Python side of the harness (moto server, pyarrow) on first use,
# and again whenever requirements-test.txt changes.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.lethe-requirements.sha256
want=$(sha256sum requirements-test.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  started=$SECONDS
  echo "lethe: installing the local AWS emulator and test tools into .venv (moto, pyarrow, schemathesis, parliament, sqlglot; about a minute, once)" >&2
  python3 -m venv .venv
  if [ -t 2 ]; then
    # A terminal: pip's own progress bars.
    .venv/bin/python -m pip install --disable-pip-version-check --progress-bar on -r requirements-test.txt \
      2>&1 | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
  else
    # Logs and pipes: one plain line per package as pip reaches it.
    .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off -r requirements-test.txt 2>&1 \
      | grep --line-buffered -E "^(Collecting|Installing collected|Successfully installed|ERROR)" \
      | sed -u -e "s/^/lethe: pip: /" >&2 || true
  fi
  .venv/bin/python -c "import moto.server, pyarrow, schemathesis, parliament, sqlglot, aws_cron_expression_validator, pyiceberg" # fails the script when the install did not work
  echo "$want" >"$stamp"
  echo "lethe: local AWS emulator installed in $((SECONDS - started)) s" >&2
fi
