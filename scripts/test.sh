#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test, builds the
# documentation (no warnings allowed), runs the ring and engine tests under ASan and TSan, a
# 30-second soak, the benchmark package's malloc gates and the wire decoder's fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/setup-peers.sh   # tshark, scapy, iproute2, samba (nmbd), samba-testsuite (smbtorture)
swift build --build-tests
swift test --skip-build "$@"
# The DocC catalog builds with no warning, and every public symbol has a doc comment.
scripts/docs.sh
# The ring and engine tests again under AddressSanitizer, the thread-crossing ones under
# ThreadSanitizer (scripts/sanitize.sh says what each covers).
scripts/sanitize.sh
# A 30-second soak: writers at twice the knee, exact accounting, flat RSS (scripts/soak.sh 600
# runs the full ten minutes).
scripts/soak.sh 30
# The malloc gates (allocation counts of the micro-benchmarks; no timing involved).
scripts/bench-gates.sh
# The wire decoder under libFuzzer, seeded with real peers' datagrams (1,000,000 executions).
scripts/fuzz-wire.sh 1000000
