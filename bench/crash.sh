#!/usr/bin/env bash
# The long version of the kill -9 test (Tests/botbridgeTests/CrashRecoveryTests.swift): a real
# gateway takes a stream of work creating deliveries, is killed with SIGKILL at random moments
# KILLS times (default 40) and restarted; then every acknowledged delivery must have arrived,
# duplicates must share their webhook-id, per-key order must hold, integrity_check must be ok.
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS=${KILLS:-40}
swift build --build-tests >/dev/null
BOTBRIDGE_CRASH_KILLS=$KILLS swift test --skip-build --filter CrashRecoveryTests
