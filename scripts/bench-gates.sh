#!/usr/bin/env bash
# The malloc gates: the steady-state workloads (the ring; a message's way through the engine by
# local socket, UDP datagram service and shared memory) must allocate nothing once warmed up.
# mailslot-gates counts every allocation in its process with its own malloc and fails on any;
# a control that must allocate runs first, so a counter that sees nothing fails too. It is
# built in release beside mailslot-bench (scripts/build-bench.sh), sharing the engine's build
# (MAILSLOT_PREBUILT=1: the test command built it already).
# (`swift package benchmark` in Benchmarks/ times the same workloads with ordo-one/benchmark.)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${MAILSLOT_PREBUILT:-}" ] || scripts/build-bench.sh --disable-default-traits --product mailslot-gates
Benchmarks/.build/release/mailslot-gates "$@"
