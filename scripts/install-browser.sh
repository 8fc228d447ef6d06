#!/bin/sh
# Install the browser the web tests drive: Debian's chromium at /usr/bin/chromium.
# Does nothing when it is already there. Needs root (CI runs as root) or sudo; without
# either it fails, saying what to run: the browser tests never skip.
set -eu
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-browser: /usr/bin/chromium is missing and this is not root;" >&2
    echo "  run as root: apt-get install -y chromium (the browser tests need it)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fonts-noto-core >/dev/null
test -x /usr/bin/chromium
