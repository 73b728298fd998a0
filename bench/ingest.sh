#!/usr/bin/env bash
# Inbound ingest: signed Twilio WhatsApp webhooks, each with a distinct MessageSid, from wrk over
# 50 connections to a release `botbridge serve` running examples/twilio-whatsapp.json. Every
# acknowledged request is verified, read, and committed (message, user, conversation, and the
# signed bot delivery) before its 200; the bot is nginx answering 200, so deliveries drain too.
# Also prints nginx's static 200 rate from the same run for scale.
# Then a second run at a set rate (about 2,000/s: 20 connections, each pausing 9 ms between
# requests) for the acknowledgement latency at that load.
# Needs wrk, nginx and python3. Knobs: DURATION (10), CONNECTIONS (50), SYNC (normal), BUILD_FLAGS,
# PACED_CONNECTIONS (20), PACED_DELAY_MS (9).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-50}
SYNC=${SYNC:-normal}
OURS_PORT=${OURS_PORT:-18493}
NGINX_PORT=${NGINX_PORT:-18494}
BUILD_FLAGS=${BUILD_FLAGS:-}
for tool in wrk nginx python3; do command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 69; }; done

# shellcheck disable=SC2086
swift build -c release --product botbridge $BUILD_FLAGS >/dev/null
# shellcheck disable=SC2086
BIN=$(swift build -c release $BUILD_FLAGS --show-bin-path)/botbridge
WORK=$(mktemp -d)
cleanup() {
  [ -n "${OURS_PID:-}" ] && kill "$OURS_PID" 2>/dev/null && wait "$OURS_PID" 2>/dev/null
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
  sleep 0.2; rm -rf "$WORK"
}
trap cleanup EXIT

sed -e "s|__WORKERS__|1|" -e "s|__DIR__|$WORK|g" -e "s|__PORT__|$NGINX_PORT|" bench/nginx.conf.template >"$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf" -p "$WORK" 2>"$WORK/nginx.err" &
TOKEN=bench_fake_auth_token
PUBLIC=https://bench.example.test
PACED_CONNECTIONS=${PACED_CONNECTIONS:-20}
PACED_DELAY_MS=${PACED_DELAY_MS:-9}
python3 bench/make-twilio-webhooks.py 400000 "$PUBLIC/channels/wa/webhook" "$TOKEN" >"$WORK/webhooks.txt"

BOTBRIDGE_PUBLIC_URL=$PUBLIC BOT_URL="http://127.0.0.1:$NGINX_PORT/echo" BOT_SIGNING_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \
TWILIO_ACCOUNT_SID=AC_BENCH_FAKE TWILIO_AUTH_TOKEN=$TOKEN TWILIO_FROM=whatsapp:+14155238886 TWILIO_API_BASE="http://127.0.0.1:$NGINX_PORT" \
  "$BIN" serve --config examples/twilio-whatsapp.json --db "$WORK/ingest.sqlite" --synchronous "$SYNC" \
  --listen "127.0.0.1:$OURS_PORT" --log-level warning >"$WORK/ours.log" 2>&1 &
OURS_PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$OURS_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/twilio-webhooks.lua "http://127.0.0.1:$OURS_PORT/channels/wa/webhook" \
  -- "$WORK/webhooks.txt" 2 | tee "$WORK/wrk.txt"
sleep 2
echo "paced: $PACED_CONNECTIONS connections, ${PACED_DELAY_MS} ms between requests on each (fresh MessageSids)"
python3 bench/make-twilio-webhooks.py 100000 "$PUBLIC/channels/wa/webhook" "$TOKEN" paced >"$WORK/paced.txt"
wrk -t2 -c"$PACED_CONNECTIONS" -d"${DURATION}s" --latency -s bench/twilio-webhooks.lua "http://127.0.0.1:$OURS_PORT/channels/wa/webhook" \
  -- "$WORK/paced.txt" 2 "$PACED_DELAY_MS" | grep -E "Requests/sec|50%|90%|99%"
sleep 2
kill "$OURS_PID"; wait "$OURS_PID" 2>/dev/null || true; OURS_PID=
python3 - "$WORK/ingest.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
m = db.execute("select count(*) from messages").fetchone()[0]
d = db.execute("select count(*), sum(status = 'done') from deliveries").fetchone()
print(f"stored messages: {m}, bot deliveries: {d[0]} (done: {d[1]})")
PY
echo "nginx static 200 for scale:"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$NGINX_PORT/healthz" | grep -E "Requests/sec"
