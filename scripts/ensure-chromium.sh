#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the headless dashboard test. Idempotent: does
# nothing when /usr/bin/chromium exists. Installing needs root (CI and the dev machines are root).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: /usr/bin/chromium is missing and installing it needs root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium fonts-dejavu-core
test -x /usr/bin/chromium
