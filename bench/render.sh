#!/usr/bin/env bash
# Template parse and render time (release build, this machine): `render-load`
# (bench/TemplateRenderLoad) parses and renders every template in adapters/, examples/ and
# prompts/, and a loop-heavy transcript template, against one context shaped like Bridge's.
# Knobs: ROUNDS (7), ROUND_SECONDS (0.5 per round and set), ITEMS (200 transcript lines for the
#        loop-heavy template), BUILD_FLAGS (extra swift build flags, e.g. "--scratch-path .build-bench").
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-7}
ROUND_SECONDS=${ROUND_SECONDS:-0.5}
ITEMS=${ITEMS:-200}
BUILD_FLAGS=${BUILD_FLAGS:-}

# shellcheck disable=SC2086  # BUILD_FLAGS is a list of flags
swift build -c release --product render-load $BUILD_FLAGS >/dev/null
# shellcheck disable=SC2086
BIN=$(swift build -c release $BUILD_FLAGS --show-bin-path)

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
"$BIN/render-load" --home . --rounds "$ROUNDS" --seconds "$ROUND_SECONDS" --items "$ITEMS"
