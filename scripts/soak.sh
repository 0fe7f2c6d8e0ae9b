#!/usr/bin/env bash
# The soak: mailslot-bench's soak scenario (4 writer processes at twice the measured knee into
# one mailslot, RSS sampled every second, exact accounting checked at the end), in release mode.
# Usage: scripts/soak.sh [SECONDS] [more mailslot-bench options]; 600 seconds by default. The
# test command runs a 30-second soak (MAILSLOT_PREBUILT=1: it built mailslot-bench already, beside
# its other builds). Exits non-zero when the accounting or the RSS bound fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
# No SwiftNIO: the soak does not use it.
[ -n "${MAILSLOT_PREBUILT:-}" ] || scripts/build-bench.sh --disable-default-traits
Benchmarks/.build/release/mailslot-bench --scenarios soak --soak-seconds "$seconds" "$@"
