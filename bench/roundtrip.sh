#!/usr/bin/env bash
# The bot bridge end to end: signed Twilio WhatsApp webhooks → a release `botbridge serve` →
# a local bot answering synchronously (generic adapter) → the reply sent to a local fake
# Twilio. `roundtrip-load` (bench/RoundTripLoad) is both the load and the sink, so it knows when
# each inbound message was acknowledged and when its reply reached the "provider".
# Run 1: as fast as CONCURRENCY connections go (end-to-end messages/s).
# Run 2: paced at RATE messages/s (acknowledgement → provider receipt latency, p50/p99).
# Knobs: MESSAGES (30000), CONCURRENCY (64), RATE (1000), PACED_MESSAGES (10000), USERS (2000), SYNC (normal).
set -euo pipefail
cd "$(dirname "$0")/.."

MESSAGES=${MESSAGES:-30000}
CONCURRENCY=${CONCURRENCY:-64}
RATE=${RATE:-1000}
PACED_MESSAGES=${PACED_MESSAGES:-10000}
USERS=${USERS:-2000}
SYNC=${SYNC:-normal}
OURS_PORT=${OURS_PORT:-18495}
SINK_PORT=${SINK_PORT:-18496}

swift build -c release --product botbridge >/dev/null
swift build -c release --product roundtrip-load >/dev/null
BIN_DIR=$(swift build -c release --show-bin-path)
WORK=$(mktemp -d)
cleanup() {
  [ -n "${OURS_PID:-}" ] && kill "$OURS_PID" 2>/dev/null && wait "$OURS_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

TOKEN=bench_fake_auth_token
PUBLIC=https://bench.example.test
cat >"$WORK/botbridge.json" <<JSON
{"public_url": "$PUBLIC",
 "bots": [{"id": "echo", "adapter": "generic", "url": "http://127.0.0.1:$SINK_PORT/bot", "mode": "sync",
           "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}],
 "channels": [{"id": "wa", "adapter": "twilio",
               "settings": {"account_sid": "AC_BENCH_FAKE", "auth_token": "$TOKEN", "from": "whatsapp:+14155238886",
                            "api_base": "http://127.0.0.1:$SINK_PORT"}}]}
JSON

start_gateway() {
  "$BIN_DIR/botbridge" serve --config "$WORK/botbridge.json" --db "$WORK/$1.sqlite" --synchronous "$SYNC" \
    --listen "127.0.0.1:$OURS_PORT" --log-level warning >"$WORK/$1.log" 2>&1 &
  OURS_PID=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$OURS_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
}
stop_gateway() { kill "$OURS_PID"; wait "$OURS_PID" 2>/dev/null || true; OURS_PID=; }

echo "== throughput: $MESSAGES messages, $CONCURRENCY concurrent webhooks, $USERS users"
start_gateway throughput
"$BIN_DIR/roundtrip-load" --gateway "http://127.0.0.1:$OURS_PORT" --sink-port "$SINK_PORT" --public-url "$PUBLIC" --token "$TOKEN" \
  --messages "$MESSAGES" --concurrency "$CONCURRENCY" --users "$USERS" --prefix t
stop_gateway

echo "== paced: $PACED_MESSAGES messages at $RATE/s, $USERS users"
start_gateway paced
"$BIN_DIR/roundtrip-load" --gateway "http://127.0.0.1:$OURS_PORT" --sink-port "$SINK_PORT" --public-url "$PUBLIC" --token "$TOKEN" \
  --messages "$PACED_MESSAGES" --rate "$RATE" --users "$USERS" --prefix p
stop_gateway
