#!/usr/bin/env bash
# POST /users/track with 75 attributes objects per call (Braze's maximum), from wrk over
# CONNECTIONS connections, to a release `botbridge serve` (embedded default). Each object names
# one of USERS users (created up front) and sets a string, increments a counter and adds to an
# array, so every object changes three attributes and writes three audit rows. Objects per
# second = requests per second x 75. The gateway checks the counters at the end.
# Needs wrk and python3. Knobs: DURATION (10), CONNECTIONS (32), USERS (15000), SYNC (normal).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
USERS=${USERS:-15000}
SYNC=${SYNC:-normal}
OURS_PORT=${OURS_PORT:-18499}
for tool in wrk python3 curl; do command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 69; }; done

swift build -c release --product botbridge >/dev/null
BIN=$(swift build -c release --show-bin-path)/botbridge
WORK=$(mktemp -d)
cleanup() {
  [ -n "${OURS_PID:-}" ] && kill "$OURS_PID" 2>/dev/null && wait "$OURS_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
DB="$WORK/track.sqlite"
KEY=$("$BIN" keys create --name bench --scopes users.track --rate 1000000 --db "$DB" | grep -o 'bbk_[A-Za-z0-9_-]*' | head -1)
"$BIN" serve --db "$DB" --synchronous "$SYNC" --listen "127.0.0.1:$OURS_PORT" --log-level warning >"$WORK/ours.log" 2>&1 &
OURS_PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$OURS_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

python3 - "$USERS" "$WORK" <<'PY'
import json, sys
users, work = int(sys.argv[1]), sys.argv[2]
def body(start, create):
    objects = []
    for n in range(start, start + 75):
        u = n % users
        o = {"external_id": f"bench-{u}", "plan": ["free", "pro", "gold"][n % 3], "visits": {"inc": 1}, "pages": {"add": [f"/p/{n % 40}"]}}
        if create: o["_update_existing_only"] = False
        objects.append(o)
    return json.dumps({"attributes": objects})
with open(f"{work}/create.txt", "w") as f:
    for start in range(0, users, 75): print(body(start, True), file=f)
with open(f"{work}/bodies.txt", "w") as f:
    for i in range(2000): print(body((i * 75 * 7) % users, False), file=f)
PY
# Create the users (and count those visits too).
python3 - "$WORK/create.txt" "http://127.0.0.1:$OURS_PORT/users/track" "$KEY" <<'PY'
import http.client, sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[2])
connection = http.client.HTTPConnection(url.hostname, url.port)
for line in open(sys.argv[1]):
    connection.request("POST", url.path, line, {"Content-Type": "application/json", "Authorization": "Bearer " + sys.argv[3]})
    answer = connection.getresponse(); answer.read()
    assert answer.status == 201, answer.status
PY
echo "users: $USERS; 75 objects per call (3 attribute operations each), $CONNECTIONS connections, ${DURATION}s"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/post-lines.lua "http://127.0.0.1:$OURS_PORT/users/track" \
  -- "$WORK/bodies.txt" "$KEY" 2 /users/track | tee "$WORK/wrk.txt" | grep -E "Requests/sec|50%|90%|99%|non-2xx|requests in"
kill "$OURS_PID"; wait "$OURS_PID" 2>/dev/null || true; OURS_PID=
python3 - "$DB" "$WORK/wrk.txt" "$USERS" <<'PY'
import json, re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", open(sys.argv[2]).read()).group(1))
calls = int(re.search(r"(\d+) requests in", open(sys.argv[2]).read()).group(1))
visits = sum(json.loads(v) for (v,) in db.execute("select value from user_attributes where name = 'visits'"))
writes = db.execute("select count(*) from user_attribute_writes").fetchone()[0]
print(f"objects/s: {rate * 75:,.0f}; visits counted: {visits} (users {int(sys.argv[3])} + objects sent {calls * 75} minus calls cut off at the end); attribute writes: {writes}")
PY
