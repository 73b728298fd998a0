#!/usr/bin/env bash
# Measures botbridge's HTTP layer against nginx on the same machine with wrk.
#   GET /healthz and POST of a 1 KiB JSON body to /echo, 50 connections, same worker count.
# Needs: wrk and nginx (Debian: apt-get install -y wrk nginx-light).
# Knobs: DURATION (seconds, default 10), CONNECTIONS (50), THREADS (2), WORKERS (cores).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-$(nproc)}
OURS_PORT=${OURS_PORT:-18480}
NGINX_PORT=${NGINX_PORT:-18481}

for tool in wrk nginx; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y wrk nginx-light" >&2; exit 1; }
done

swift build -c release --product botbridge >/dev/null
BIN=$(swift build -c release --show-bin-path)/botbridge
WORK=$(mktemp -d)
cleanup() {
  [ -n "${OURS_PID:-}" ] && kill "$OURS_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  sleep 0.3
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_for() {
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on port $1 did not come up" >&2
  exit 1
}

# Prints requests/second for one wrk run (after a short warm-up).
rate() {
  local url=$1; shift
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$@" "$url" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "$@" "$url" | tee -a "$WORK/wrk.log" | awk '/Requests\/sec/ {print $2}'
}

"$BIN" serve --listen "127.0.0.1:$OURS_PORT" --echo --event-loops "$WORKERS" --log-level warning >"$WORK/ours.log" 2>&1 &
OURS_PID=$!
wait_for "$OURS_PORT"
ours_get=$(rate "http://127.0.0.1:$OURS_PORT/healthz")
ours_post=$(rate "http://127.0.0.1:$OURS_PORT/echo" -s bench/post-1k.lua)
ours_rss=$(awk '/VmHWM/ {print $2}' "/proc/$OURS_PID/status")
kill "$OURS_PID"; wait "$OURS_PID" 2>/dev/null || true; OURS_PID=

sed -e "s|__WORKERS__|$WORKERS|" -e "s|__DIR__|$WORK|g" -e "s|__PORT__|$NGINX_PORT|" bench/nginx.conf.template >"$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf" -p "$WORK" 2>"$WORK/nginx.err" &
wait_for "$NGINX_PORT"
nginx_get=$(rate "http://127.0.0.1:$NGINX_PORT/healthz")
nginx_post=$(rate "http://127.0.0.1:$NGINX_PORT/echo" -s bench/post-1k.lua)

printf '\n%-28s %12s %12s %8s\n' "test ($CONNECTIONS conns, ${DURATION}s)" "botbridge" "nginx" "ratio"
printf '%-28s %12.0f %12.0f %8.2f\n' "GET /healthz (req/s)" "$ours_get" "$nginx_get" "$(awk -v a="$ours_get" -v b="$nginx_get" 'BEGIN{print a/b}')"
printf '%-28s %12.0f %12.0f %8.2f\n' "POST 1 KiB /echo (req/s)" "$ours_post" "$nginx_post" "$(awk -v a="$ours_post" -v b="$nginx_post" 'BEGIN{print a/b}')"
printf '%-28s %12s\n' "botbridge peak RSS (KiB)" "$ours_rss"
echo "machine: $(nproc) cores, $WORKERS workers each, wrk -t$THREADS on the same machine"
