#!/usr/bin/env bash
# Scale-out ingest: signed Twilio WhatsApp webhooks (each with its own MessageSid) from wrk to a
# release `botbridge serve` running examples/twilio-whatsapp.json, with nginx as the bot, in
# three set-ups in one run: SQLite; PostgreSQL with one gateway; PostgreSQL with two gateways
# (one wrk per gateway, half the connections each, rates added). Each set-up gets a fresh
# database; after the run the script waits for the outbox to drain and checks that every stored
# message has its bot delivery done. PostgreSQL is a throw-away server in a temporary directory
# (initdb; as root it runs as nobody), with synchronous_commit=off: like SQLite's default
# synchronous=normal, a committed webhook survives a crash of the gateway and of PostgreSQL,
# though an OS crash or power loss may lose the last moments of commits.
# Needs wrk, nginx, python3 and PostgreSQL's server (apt-get install -y wrk nginx postgresql).
# Knobs: DURATION (10), CONNECTIONS (50), WRITERS (4) and READERS (4): PostgreSQL connections per gateway.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-50}
WRITERS=${WRITERS:-4}
READERS=${READERS:-4}
NGINX_PORT=${NGINX_PORT:-18594}
PG_PORT=${PG_PORT:-18595}
PORT_A=${PORT_A:-18596}
PORT_B=${PORT_B:-18597}
for tool in wrk nginx python3 psql; do command -v $tool >/dev/null || { echo "$tool is needed (apt-get install -y wrk nginx postgresql)" >&2; exit 69; }; done
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL's server is needed (apt-get install -y postgresql)" >&2; exit 69; }

swift build -c release --product botbridge >/dev/null
BIN=$(swift build -c release --show-bin-path)/botbridge
WORK=$(mktemp -d)
chmod 755 "$WORK"
AS=""
if [ "$(id -u)" = 0 ]; then AS="setpriv --reuid=nobody --regid=nogroup --clear-groups"; fi
PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
  [ -d "$WORK/pg" ] && $AS "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1
  sleep 0.3; rm -rf "$WORK"
}
trap cleanup EXIT

sed -e "s|__WORKERS__|1|" -e "s|__DIR__|$WORK|g" -e "s|__PORT__|$NGINX_PORT|" bench/nginx.conf.template >"$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf" -p "$WORK" 2>"$WORK/nginx.err" &

mkdir "$WORK/pg"
[ -n "$AS" ] && chown nobody:nogroup "$WORK/pg"
$AS "$PGBIN/initdb" -D "$WORK/pg/data" -U botbridge --auth=trust --no-locale -E UTF8 >/dev/null
$AS "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w -o "-k $WORK/pg -p $PG_PORT -c listen_addresses='' -c synchronous_commit=off -c max_connections=200 -c shared_buffers=256MB" start >/dev/null
PSQL="psql -h $WORK/pg -p $PG_PORT -U botbridge -qAt"

TOKEN=bench_fake_auth_token
PUBLIC=https://bench.example.test
export BOTBRIDGE_PUBLIC_URL=$PUBLIC BOT_URL="http://127.0.0.1:$NGINX_PORT/echo" BOT_SIGNING_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \
  TWILIO_ACCOUNT_SID=AC_BENCH_FAKE TWILIO_AUTH_TOKEN=$TOKEN TWILIO_FROM=whatsapp:+14155238886 TWILIO_API_BASE="http://127.0.0.1:$NGINX_PORT"

python3 - "$WRITERS" "$READERS" >"$WORK/config.json" <<'PY'
import json, sys
config = json.load(open("examples/twilio-whatsapp.json"))
config["database"] = {"writers": int(sys.argv[1]), "readers": int(sys.argv[2])}
print(json.dumps(config))
PY
serve() { # DB PORT
  "$BIN" serve --config "$WORK/config.json" --db "$1" --listen "127.0.0.1:$2" --log-level warning >>"$WORK/serve.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$2/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "gateway on $2 did not start" >&2; cat "$WORK/serve.log" >&2; exit 1
}
load() { # PORT FILE CONNECTIONS -> wrk output
  wrk -t2 -c"$3" -d"${DURATION}s" --latency -s bench/twilio-webhooks.lua "http://127.0.0.1:$1/channels/wa/webhook" -- "$2" 2
}
stop_all() {
  grep -E 'level=(error|critical)' "$WORK/serve.log" | sed 's/^/  gateway: /' | sort | uniq -c | sort -rn | head -3 || true
  : >"$WORK/serve.log"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
report() { # NAME WRK_OUTPUT...
  local name=$1; shift
  local rate p99 errors
  rate=$(cat "$@" | awk '/Requests\/sec/ {s += $2} END {printf "%.0f", s}')
  p99=$(cat "$@" | awk '$1 == "99%" {print $2}' | sort -V | tail -1)
  errors=$(cat "$@" | awk '/Non-2xx/ {s += $NF} END {print s + 0}')
  echo "$name: acknowledged/s $rate, p99 $p99, non-2xx $errors"
}
counts_sqlite() { python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(*db.execute("select (select count(*) from messages), (select count(*) from deliveries where status = 'done')").fetchone())
PY
}
counts_pg() { $PSQL -d "$1" -F ' ' -c "select (select count(*) from messages), (select count(*) from deliveries where status = 'done')"; }
drained() { # COUNTS_FUNCTION ARG: waits until every stored message's bot delivery is done
  local messages done
  for _ in $(seq 1 600); do
    read -r messages done <<<"$("$1" "$2")"
    [ "$messages" = "$done" ] && { echo "  stored messages $messages, bot deliveries done $done"; return; }
    sleep 0.5
  done
  echo "  NOT DRAINED: stored messages $messages, bot deliveries done $done"
}

python3 bench/make-twilio-webhooks.py 400000 "$PUBLIC/channels/wa/webhook" "$TOKEN" a >"$WORK/a.txt"
python3 bench/make-twilio-webhooks.py 400000 "$PUBLIC/channels/wa/webhook" "$TOKEN" b >"$WORK/b.txt"

# 1. SQLite
serve "$WORK/scale.sqlite" "$PORT_A"
load "$PORT_A" "$WORK/a.txt" "$CONNECTIONS" >"$WORK/sqlite.txt"
report "sqlite, 1 gateway" "$WORK/sqlite.txt"
drained counts_sqlite "$WORK/scale.sqlite"
stop_all

# 2. PostgreSQL, one gateway
$PSQL -d postgres -c "CREATE DATABASE one"
serve "postgresql:///one?host=$WORK/pg&port=$PG_PORT&user=botbridge" "$PORT_A"
load "$PORT_A" "$WORK/a.txt" "$CONNECTIONS" >"$WORK/pg1.txt"
report "postgresql, 1 gateway" "$WORK/pg1.txt"
drained counts_pg one
stop_all

# 3. PostgreSQL, two gateways
$PSQL -d postgres -c "CREATE DATABASE two"
serve "postgresql:///two?host=$WORK/pg&port=$PG_PORT&user=botbridge" "$PORT_A"
serve "postgresql:///two?host=$WORK/pg&port=$PG_PORT&user=botbridge" "$PORT_B"
load "$PORT_A" "$WORK/a.txt" $((CONNECTIONS / 2)) >"$WORK/pg2a.txt" &
WRK_A=$!
load "$PORT_B" "$WORK/b.txt" $((CONNECTIONS / 2)) >"$WORK/pg2b.txt"
wait "$WRK_A"
report "postgresql, 2 gateways" "$WORK/pg2a.txt" "$WORK/pg2b.txt"
drained counts_pg two
stop_all
