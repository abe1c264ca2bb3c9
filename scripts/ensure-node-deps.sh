#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing or older than package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.lethe-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  started=$SECONDS
  echo "lethe: installing npm dependencies (npm ci; about a minute, once)" >&2
  # npm's progress only on a terminal; its summary line ("added N packages") either way.
  if [ -t 2 ]; then progress=--progress; else progress=--no-progress; fi
  npm ci --no-audit --no-fund --loglevel=notice "$progress" 1>&2
  echo "$want" >"$stamp"
  echo "lethe: npm dependencies installed in $((SECONDS - started)) s" >&2
fi
