#!/usr/bin/env bash
# The ring and engine tests once more under AddressSanitizer, and the tests that cross threads
# (MailslotEngineThread, async reads and streams, writer threads: the tests tagged
# `.crossesThreads`, found by scripts/tagged-tests.py) under ThreadSanitizer. Each
# sanitizer builds into its own scratch folder (.build-asan, .build-tsan). The test command
# runs this; it can also be run alone.
#
# Left out under the sanitizers, for time: the million-message load tests and the multi-host
# and peer interop tests (namespaces, tshark, Samba), which exercise the same engine code paths
# as the tests kept here, at far greater length.
#
# Each sanitizer build declares only the libraries and the test targets run here
# (MAILSLOT_SANITIZER_BUILD, see Package.swift): no CLI and none of its dependencies, which
# took a third of each build. The `mailslot` processes the tests start come from the debug
# build (MAILSLOT_TOOLS_DIRECTORY), which the test command has made by then; so they run
# uninstrumented, while every test's own process (the engine, the rings, the servers and
# clients it makes) runs under the sanitizer.
#
# Usage: scripts/sanitize.sh [build address|build thread|run]. With no argument it builds both
# and runs both; the test command builds them beside its other builds, then runs them alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export MAILSLOT_TOOLS_DIRECTORY="$PWD/.build/debug"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan-suppressions.txt ${LSAN_OPTIONS:-}"
slow='NoMessageLostTests|InteropTests|SambaInteropTests|MultiHostTests|WireFidelityTests|tenThousandMailslots|zeroTimeoutUnderLoad|scribblerLossIsCounted|doubleCloseDoesNotCompile'

# build SANITIZER: the subset build into .build-asan or .build-tsan. The build's output goes to
# a log, but its own status decides: a failed build must fail here, not leave an earlier build's
# products to be tested.
build() {
  local sanitizer=$1 scratch=.build-${1:0:1}san
  echo "sanitize: $sanitizer sanitizer build" >&2
  MAILSLOT_SANITIZER_BUILD=$sanitizer swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" >"$scratch.log" 2>&1 \
    || { grep -E "error" "$scratch.log" >&2; echo "sanitize: the $sanitizer sanitizer build failed ($scratch.log)" >&2; exit 1; }
}

run() {
  # The tests start the debug build's tools; run alone, build them first.
  [ -x .build/debug/mailslot-example-service ] || swift build >/dev/null
  echo "sanitize: AddressSanitizer run (ring tests, with leak detection)" >&2
  MAILSLOT_SANITIZER_BUILD=address swift test --skip-build --sanitize=address --scratch-path .build-asan --filter 'MailslotRingTests'
  # The engine tests deliberately keep servers whose callbacks capture them (a cycle that close()
  # breaks; tests that end without closing leave it), so LeakSanitizer would report those
  # engines. Leak detection stays on for the ring tests.
  echo "sanitize: AddressSanitizer run (engine tests)" >&2
  ASAN_OPTIONS="detect_leaks=0 ${ASAN_OPTIONS:-}" MAILSLOT_SANITIZER_BUILD=address swift test --skip-build --sanitize=address \
    --scratch-path .build-asan --filter 'MailslotEngineTests' --skip "$slow"
  echo "sanitize: ThreadSanitizer run (the tests tagged crossesThreads)" >&2
  local crossing
  crossing=$(scripts/tagged-tests.py crossesThreads)
  TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" MAILSLOT_SANITIZER_BUILD=thread swift test --skip-build --sanitize=thread \
    --scratch-path .build-tsan --filter "$crossing"
}

case "${1:-all}" in
  build) build "${2:?address or thread}" ;;
  run) run ;;
  all) build address && build thread && run ;;
  *) echo "usage: scripts/sanitize.sh [build address|build thread|run]" >&2; exit 2 ;;
esac
