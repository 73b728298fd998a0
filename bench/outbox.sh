#!/usr/bin/env bash
# Measures the durable core (release build, this machine):
#  1. deliveries per second from the outbox to a local receiver (nginx answering 200, one worker),
#     unordered and spread over 1000 ordering keys, with synchronous=NORMAL and FULL;
#  2. committed small write transactions per second from 64 concurrent writers, with group
#     commit (up to 256 writes per transaction) versus one transaction per write.
# Needs nginx (apt-get install nginx-light). Knobs: COUNT (20000), PORT (18491),
# BUILD_FLAGS (extra swift build flags, e.g. "--scratch-path .build-bench").
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-20000}
PORT=${PORT:-18491}
BUILD_FLAGS=${BUILD_FLAGS:-}
command -v nginx >/dev/null || { echo "nginx is needed: apt-get install -y nginx-light" >&2; exit 69; }

# shellcheck disable=SC2086  # BUILD_FLAGS is a list of flags
swift build -c release --product outbox-load $BUILD_FLAGS >/dev/null
# shellcheck disable=SC2086
BIN=$(swift build -c release $BUILD_FLAGS --show-bin-path)
WORK=$(mktemp -d)
cleanup() {
  if [ -f "$WORK/nginx.pid" ]; then kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true; fi
  sleep 0.2
  rm -rf "$WORK"
}
trap cleanup EXIT

sed -e "s|__WORKERS__|1|" -e "s|__DIR__|$WORK|g" -e "s|__PORT__|$PORT|" bench/nginx.conf.template >"$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf" -p "$WORK" &
for _ in $(seq 1 50); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "# outbox to receiver (nginx, 1 worker), $COUNT deliveries, signed, 256 in flight"
for sync in normal full; do
  for keys in 0 1000; do
    "$BIN/outbox-load" deliveries "$COUNT" "$keys" "http://127.0.0.1:$PORT/echo" "$sync"
  done
done

echo "# small write transactions, 64 concurrent writers"
for sync in normal full; do
  for batch in 256 1; do
    "$BIN/outbox-load" commits "$COUNT" 64 "$batch" "$sync"
  done
done
