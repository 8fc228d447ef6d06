#!/bin/sh
# The ASTERIX captures a decoder package ships (asterix_decoder's sample_data: recorded
# CAT062/CAT065 traffic), unpacked from its source distribution into
# tests/data/asterix/shipped/ for the feed tests. Fetched with pip, never built or
# installed (it would shadow libasterix's `asterix` package). Does nothing when they are
# there; fails, saying why, when they cannot be had: the tests that read them never skip.
set -eu
cd "$(dirname "$0")/.."
DEST=tests/data/asterix/shipped
VERSION=0.7.11
if [ -f "$DEST/cat062cat065.raw" ]; then
    exit 0
fi
PIP="${PIP:-.venv/bin/pip}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
if ! "$PIP" download --quiet --no-deps --no-binary :all: --dest "$TMP" "asterix_decoder==$VERSION"; then
    echo "fetch-asterix-samples: pip could not download asterix_decoder $VERSION" >&2
    exit 1
fi
mkdir -p "$DEST"
tar -xzf "$TMP"/asterix_decoder-"$VERSION".tar.gz -C "$TMP"
cp "$TMP"/asterix_decoder-"$VERSION"/asterix/sample_data/cat062cat065.raw "$DEST"/
test -f "$DEST/cat062cat065.raw"
