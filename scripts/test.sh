#!/usr/bin/env bash
# The one test command (`npm test`): installs what is missing, then type-checks, lints and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
# The emulator's venv (pip, about a minute on a fresh clone) installs while npm, the type-check and the
# lint run; the tests wait for it.
bash scripts/ensure-venv.sh &
venv=$!
bash scripts/ensure-node-deps.sh
source scripts/node-path.sh
# The whole suite packages the functions first (test/support/lanes.ts): build them while the type-check
# and the lint run, so the lanes start on a cache hit.
packaging=""
if [ "$#" -eq 0 ]; then
  node -r ts-node/register/transpile-only test/support/lanes.ts --package-only &
  packaging=$!
fi
bash scripts/ensure-chromium.sh
echo "lethe: type-check (tsc --noEmit)" >&2
npx tsc --noEmit -p tsconfig.json
echo "lethe: lint (eslint, prettier --check)" >&2
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --list-different .; echo "lethe: run 'npm run format'" >&2; exit 1; }
wait "$venv" || { echo "lethe: the emulator's venv did not install (scripts/ensure-venv.sh)" >&2; exit 1; }
# The store tests use this machine's PostgreSQL (127.0.0.1:5432, trust auth, database `test`): start it when down.
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "lethe: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  pg_isready -h 127.0.0.1 -p 5432 -t 30 >/dev/null
fi
psql -h 127.0.0.1 -U postgres -d test -c "SELECT 1" >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres test
if [ "$#" -gt 0 ]; then
  echo "lethe: tests (mocha $*)" >&2
  exec npx mocha "$@"
fi
if [ -n "$packaging" ]; then wait "$packaging"; fi
# Every test file, in parallel lanes each with its own emulator (test/support/lanes.ts; LETHE_TEST_JOBS=2).
echo "lethe: tests (mocha, every test file)" >&2
exec node -r ts-node/register/transpile-only test/support/lanes.ts
