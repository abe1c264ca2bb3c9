#!/usr/bin/env bash
# The main job, locally: installs what is missing, then runs `lethe demo` against the embedded emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
# This machine runs Node 20; Lambdas run nodejs22.x. The lock file pins SDK releases that support 20.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
bash scripts/ensure-node-deps.sh
bash scripts/ensure-venv.sh
exec node bin/lethe demo "$@"
