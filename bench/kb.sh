#!/usr/bin/env bash
# Knowledge-base search latency and handoff packet build time (release build, this machine):
# `kb-load` (bench/KnowledgeBaseLoad) writes ARTICLES synthetic help-centre articles (English and
# French) into a fresh database, times QUERIES searches (limit 3) one at a time and from
# CONCURRENCY tasks at once, then builds the handoff packet of a conversation with a MESSAGES-
# message transcript ITERATIONS times. Goal: search p99 under 5 ms at 10,000 articles.
# Knobs: ARTICLES (10000), QUERIES (5000), CONCURRENCY (8), MESSAGES (500), ITERATIONS (200),
#        VOCABULARY (sections; flat = every word in any article, the worst case), SEED (42),
#        BUILD_FLAGS (extra swift build flags, e.g. "--scratch-path .build-bench").
set -euo pipefail
cd "$(dirname "$0")/.."

ARTICLES=${ARTICLES:-10000}
QUERIES=${QUERIES:-5000}
CONCURRENCY=${CONCURRENCY:-8}
MESSAGES=${MESSAGES:-500}
ITERATIONS=${ITERATIONS:-200}
VOCABULARY=${VOCABULARY:-sections}
SEED=${SEED:-42}
BUILD_FLAGS=${BUILD_FLAGS:-}

# shellcheck disable=SC2086  # BUILD_FLAGS is a list of flags
swift build -c release --product kb-load $BUILD_FLAGS >/dev/null
# shellcheck disable=SC2086
BIN=$(swift build -c release $BUILD_FLAGS --show-bin-path)

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), SQLite $(pkg-config --modversion sqlite3 2>/dev/null || echo '?')"
"$BIN/kb-load" --articles "$ARTICLES" --queries "$QUERIES" --concurrency "$CONCURRENCY" --messages "$MESSAGES" \
  --iterations "$ITERATIONS" --vocabulary "$VOCABULARY" --seed "$SEED"
