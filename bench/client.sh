#!/usr/bin/env bash
# Measures botbridge's libcurl HTTPClient against our own server on loopback:
#   REQUESTS POSTs of a 1 KiB JSON body to /echo through one client, at concurrency 1, 16 and 64.
# Server and client share the machine's cores, so this is a floor, not the client's ceiling.
# Knobs: REQUESTS (default 50000), WARMUP (2000, not reported), PORT (18490),
#        BUILD_FLAGS (extra swift build flags, e.g. "--scratch-path .build-bench").
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${REQUESTS:-50000}
WARMUP=${WARMUP:-2000}
PORT=${PORT:-18490}
BUILD_FLAGS=${BUILD_FLAGS:-}
URL="http://127.0.0.1:$PORT/echo"

# shellcheck disable=SC2086  # BUILD_FLAGS is a list of flags
swift build -c release $BUILD_FLAGS >/dev/null
# shellcheck disable=SC2086
BIN=$(swift build -c release $BUILD_FLAGS --show-bin-path)
WORK=$(mktemp -d)
cleanup() {
  if [ -n "${SERVER_PID:-}" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN/botbridge" serve --listen "127.0.0.1:$PORT" --echo --log-level warning >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited:" >&2; cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "server on port $PORT did not come up" >&2; exit 1; }

"$BIN/client-load" --url "$URL" --requests "$WARMUP" --concurrency 16 >/dev/null

# Prints the value of key $1 from a client-load summary line on stdin.
field() { tr ' ' '\n' | awk -F= -v key="$1" '$1 == key { print $2 }'; }

printf '\n%-12s %9s %9s %7s %10s %9s %9s\n' "concurrency" "requests" "ok" "failed" "req/s" "p50 ms" "p99 ms"
any_failed=0
for concurrency in 1 16 64; do
  status=0
  "$BIN/client-load" --url "$URL" --requests "$REQUESTS" --concurrency "$concurrency" >"$WORK/run.txt" || status=$?
  [ "$status" -le 1 ] || { cat "$WORK/run.txt" >&2; exit "$status"; }
  summary=$(head -n 1 "$WORK/run.txt")
  printf '%-12s %9s %9s %7s %10s %9s %9s\n' "$concurrency" "$REQUESTS" \
    "$(field succeeded <<<"$summary")" "$(field failed <<<"$summary")" "$(field requests_per_second <<<"$summary")" \
    "$(field p50_ms <<<"$summary")" "$(field p99_ms <<<"$summary")"
  if [ "$status" -ne 0 ]; then
    any_failed=1
    tail -n +2 "$WORK/run.txt" | sed 's/^/    /'
  fi
done
echo "machine: $(nproc) cores shared by server and client; POST $(field body_bytes <<<"$summary") B JSON to $URL"
exit "$any_failed"
