#!/bin/sh
# Install the Mode S decoder the feed tests run as a real peer: Debian's dump1090-mutability
# at /usr/bin/dump1090-mutability (run network-only on loopback by the tests, never as a
# service). Does nothing when it is already there. Needs root (CI runs as root) or sudo;
# without either it fails, saying what to run: the tests that use it never skip.
set -eu
if [ -x /usr/bin/dump1090-mutability ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-dump1090: /usr/bin/dump1090-mutability is missing and this is not root;" >&2
    echo "  run as root: apt-get install -y dump1090-mutability (the feed tests need it)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The package would start a receiver daemon on an RTL-SDR dongle: told not to (the tests
# start their own, network-only).
echo "dump1090-mutability dump1090-mutability/auto-start boolean false" | $SUDO debconf-set-selections
$SUDO apt-get install -y -qq --no-install-recommends dump1090-mutability >/dev/null
test -x /usr/bin/dump1090-mutability
