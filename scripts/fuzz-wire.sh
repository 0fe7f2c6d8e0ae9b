#!/usr/bin/env bash
# Fuzzes the MS-MAIL decoder with libFuzzer (Swift's -sanitize=fuzzer, plus AddressSanitizer),
# seeded with the real peers' datagrams in Tests/MailslotWireTests/Vectors.
# Usage: scripts/fuzz-wire.sh [build | run [RUNS] | RUNS]   (default: build, then 1,000,000
# executions; exits non-zero on a crash). The test command builds it beside its other builds.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz
build() {
  mkdir -p "$out/corpus"
  if ! swiftc -sanitize=fuzzer,address -parse-as-library -O -package-name swift_mailslot \
    Sources/MailslotWire/*.swift Tests/MailslotWireTests/Fuzz/WireFuzzer.swift -o "$out/fuzz-wire" >"$out/build.log" 2>&1; then
    cat "$out/build.log" >&2
    exit 1
  fi
}
run() {
  local runs=$1
  mkdir -p "$out/corpus"
  for vector in Tests/MailslotWireTests/Vectors/*.hex; do
    perl -ne 'chomp; print pack("H*", $_)' "$vector" > "$out/corpus/$(basename "$vector" .hex)"
  done
  local status=0
  "$out/fuzz-wire" -runs="$runs" -max_len=1024 -print_final_stats=1 "$out/corpus" >"$out/log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    tail -60 "$out/log" >&2
    echo "fuzz-wire: crash (log: $out/log)" >&2
    exit "$status"
  fi
  grep -E "Done [0-9]+ runs|stat::number_of_executed_units" "$out/log" || true
  echo "fuzz-wire: $runs executions, no crash"
}
case "${1:-}" in
  build) build ;;
  run) run "${2:-1000000}" ;;
  *) build && run "${1:-1000000}" ;;
esac
