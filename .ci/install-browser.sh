#!/usr/bin/env bash
# Headless Chromium for the report's screenshot test (tests/report/test_browser.py), on Debian 12.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
