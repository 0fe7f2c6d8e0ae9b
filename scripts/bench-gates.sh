#!/usr/bin/env bash
# The malloc gates: runs the micro-benchmarks (ordo-one/benchmark) and checks them against
# Benchmarks/Thresholds, which holds mallocCountTotal 0 for every steady-state benchmark (the
# ring round trip, a 32-slot ring batch, engine dispatch through a real socket, and the datagram
# service path through real UDP: encode, sendmmsg, recvmmsg, decode, filter, deliver; the
# shared-memory ring: claim, copy, commit, wake-up, borrowed read, consume). Exits
# non-zero if any of them allocates. Counts, not timings: safe on a noisy machine.
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
swift package benchmark thresholds check --target MailslotMicro --path Thresholds --no-progress 2>&1 \
  | grep -av -e "ETA:" -e '^[[:space:]]*$' -e "interposer" -e "LD_PRELOAD"
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && echo "bench-gates: 0 allocations per message in steady state (ring, batch, engine dispatch, datagram service, shared memory)"
exit "$status"
