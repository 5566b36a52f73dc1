#!/usr/bin/env bash
# Install headless Chromium from the system's packages (Debian `chromium`) when it is missing.
# The browser tests (tests/test_documents_browser.py) load the rendered HTML documents in it.
# Usage: scripts/install-chromium.sh   (needs root or sudo; does nothing when /usr/bin/chromium exists)
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "install-chromium: /usr/bin/chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-chromium: need root or sudo to apt-get install chromium" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
