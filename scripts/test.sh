#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test, builds the
# documentation (no warnings allowed), runs the ring and engine tests under ASan and TSan, a
# 30-second soak, the benchmark package's malloc gates and the wire decoder's fuzzer. It ends
# with a table of its phases and how long each took.
set -euo pipefail
cd "$(dirname "$0")/.."

phases=()
started=$SECONDS
# phase NAME COMMAND...: runs one phase and notes its time (a failure stops the script).
phase() {
  local name=$1 begin=$SECONDS
  shift
  echo "test: $name" >&2
  "$@"
  phases+=("$name|$((SECONDS - begin))")
}
report() {
  local status=$?
  echo >&2
  printf '%-44s %8s\n' "phase" "seconds" >&2
  for entry in "${phases[@]}"; do printf '%-44s %8s\n' "${entry%%|*}" "${entry##*|}" >&2; done
  printf '%-44s %8s\n' "total$([ $status -eq 0 ] || echo " (FAILED)")" "$((SECONDS - started))" >&2
}
trap report EXIT

phase "install (libev, peers)" bash -c 'scripts/setup.sh && scripts/setup-peers.sh'
phase "build (debug, with tests)" swift build --build-tests
phase "tests" swift test --skip-build "$@"
# The DocC catalog builds with no warning, and every public symbol has a doc comment.
phase "docs" scripts/docs.sh
# The ring and engine tests again under AddressSanitizer, the thread-crossing ones under
# ThreadSanitizer (scripts/sanitize.sh says what each covers).
phase "sanitizers (ASan, TSan)" scripts/sanitize.sh
# A 30-second soak: writers at twice the knee, exact accounting, flat RSS (scripts/soak.sh 600
# runs the full ten minutes).
phase "soak (30 s)" scripts/soak.sh 30
# The malloc gates (allocation counts of the micro-benchmarks; no timing involved).
phase "malloc gates" scripts/bench-gates.sh
# The wire decoder under libFuzzer, seeded with real peers' datagrams (1,000,000 executions).
phase "fuzzer (1,000,000 runs)" scripts/fuzz-wire.sh 1000000
