#!/usr/bin/env bash
# The main job, locally: installs what is missing, then runs `lethe demo` against the embedded emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
source scripts/node-path.sh
bash scripts/ensure-venv.sh
exec node bin/lethe demo "$@"
