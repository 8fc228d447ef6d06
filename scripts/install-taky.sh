#!/bin/sh
# Install taky, the CoT router the TAK tests talk to, in a virtual environment of its own
# (.venv-taky/, beside the project's): its pinned Flask and lxml never meet ours. Does
# nothing when it is already there. Without it the TAK tests fail, naming this script:
# they never skip.
set -eu
cd "$(dirname "$0")/.."
VENV="${TAKY_VENV:-.venv-taky}"
PYTHON="${PYTHON:-python3}"
if [ -x "$VENV/bin/taky" ] && "$VENV/bin/python" -c "import taky" 2>/dev/null; then
    exit 0
fi
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "taky==0.10"
"$VENV/bin/python" -c "import taky"
test -x "$VENV/bin/taky"
