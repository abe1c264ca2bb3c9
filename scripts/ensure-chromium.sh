#!/usr/bin/env bash
# The HTML certificate test renders in headless Chromium (Debian's package, driven by playwright-core):
# install it when this machine has none. Quiet and non-interactive, so a fresh CI machine just works.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "lethe: installing chromium (apt-get)" >&2
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
sudo_if_needed apt-get update -qq >/dev/null
sudo_if_needed apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
