#!/usr/bin/env bash
# The Braze-compatible send API: POST /campaigns/trigger/send with one recipient per call (the
# shape of Braze's WhatsApp bot recipe), from wrk over CONNECTIONS connections, to a release
# `botbridge serve` running examples/braze-pattern.json. Every accepted call has rendered the
# campaign and committed the message and its channel delivery; the deliveries go to nginx
# standing in for Twilio, so they drain during the run.
# First USERS users write in through signed Twilio webhooks (users need a conversation to be
# sent to); then the calls cycle through them.
# Needs wrk, nginx and python3. Knobs: DURATION (10), CONNECTIONS (50), USERS (2000), SYNC (normal).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-50}
USERS=${USERS:-2000}
SYNC=${SYNC:-normal}
OURS_PORT=${OURS_PORT:-18497}
NGINX_PORT=${NGINX_PORT:-18498}
for tool in wrk nginx python3; do command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 69; }; done

swift build -c release --product botbridge >/dev/null
BIN=$(swift build -c release --show-bin-path)/botbridge
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
DB="$WORK/campaign.sqlite"

BOTBRIDGE_PUBLIC_URL=$PUBLIC BOT_URL="http://127.0.0.1:$NGINX_PORT/echo" BOT_SIGNING_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \
TWILIO_ACCOUNT_SID=AC_BENCH_FAKE TWILIO_AUTH_TOKEN=$TOKEN TWILIO_FROM=whatsapp:+14155238886 TWILIO_API_BASE="http://127.0.0.1:$NGINX_PORT" \
  "$BIN" serve --config examples/braze-pattern.json --db "$DB" --synchronous "$SYNC" \
  --listen "127.0.0.1:$OURS_PORT" --log-level warning >"$WORK/ours.log" 2>&1 &
OURS_PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$OURS_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# USERS users, one signed inbound message each (make-twilio-webhooks.py gives N/20 users).
python3 bench/make-twilio-webhooks.py $((USERS * 20)) "$PUBLIC/channels/wa/webhook" "$TOKEN" users >"$WORK/all.txt"
head -n "$USERS" "$WORK/all.txt" >"$WORK/users.txt"
python3 - "$WORK/users.txt" "http://127.0.0.1:$OURS_PORT/channels/wa/webhook" <<'PY'
import http.client, sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[2])
connection = http.client.HTTPConnection(url.hostname, url.port)
for line in open(sys.argv[1]):
    signature, body = line.rstrip("\n").split("\t", 1)
    connection.request("POST", url.path, body, {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    answer = connection.getresponse(); answer.read()
    assert answer.status == 200, answer.status
PY
KEY=$("$BIN" keys create --name bench --scopes campaigns.trigger.send --rate 1000000 --db "$DB" | grep -o 'bbk_[A-Za-z0-9_-]*' | head -1)
python3 - "$DB" >"$WORK/bodies.txt" <<'PY'
import json, sqlite3, sys
for (external_id,) in sqlite3.connect(sys.argv[1]).execute("select external_id from users order by id"):
    print(json.dumps({"campaign_id": "bot-reply", "recipients": [
        {"external_user_id": external_id, "trigger_properties": {"external_system_msg_body": "Tu pedido sale hoy 🚚"}}]}))
PY
echo "users: $(wc -l <"$WORK/bodies.txt"); one recipient per call, $CONNECTIONS connections, ${DURATION}s"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/post-lines.lua "http://127.0.0.1:$OURS_PORT/campaigns/trigger/send" \
  -- "$WORK/bodies.txt" "$KEY" 2 /campaigns/trigger/send | grep -E "Requests/sec|50%|90%|99%|non-2xx|requests in"
sleep 3
kill "$OURS_PID"; wait "$OURS_PID" 2>/dev/null || true; OURS_PID=
python3 - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
sent = db.execute("select count(*) from messages where dispatch_id is not null").fetchone()[0]
d = db.execute("select count(*), sum(status = 'done') from deliveries where kind = 'channel'").fetchone()
print(f"campaign messages stored: {sent}; channel deliveries: {d[0]} (done: {d[1]})")
PY
