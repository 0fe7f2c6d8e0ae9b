#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test, then the
# benchmark package's malloc gates and the wire decoder's fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/setup-peers.sh   # tshark, scapy, iproute2, samba (nmbd), samba-testsuite (smbtorture)
swift build --build-tests
swift test --skip-build "$@"
# The malloc gates (allocation counts of the micro-benchmarks; no timing involved).
scripts/bench-gates.sh
# The wire decoder under libFuzzer, seeded with real peers' datagrams (1,000,000 executions).
scripts/fuzz-wire.sh 1000000
