#!/usr/bin/env bash
# Debian packages the test suite drives directly: shellcheck (scripts are linted in the suite) and
# chromium (the dashboard is tested in a real headless browser). Installs only what is missing.
set -euo pipefail
missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[tools] installing ${missing[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
  { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
