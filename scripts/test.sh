#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test, builds the
# documentation (no warnings allowed), builds and installs the C library for the C tests, packs
# the release (scripts/package.sh) for its tests, runs the ring and engine tests under ASan, the
# thread-crossing ones under TSan, a 30-second soak, the malloc gates and the wire decoder's
# fuzzer. It ends with a table of its phases and how long each took.
#
# Every build runs at once, first: the debug build (then the docs) in the foreground, the
# sanitizer, release and fuzzer builds beside it. None depends on another and none is timed, so
# together they keep both cores busy where one build alone waits on a link or on a module the
# rest need. Everything that is timed or timing-sensitive (the tests, the sanitizer runs, the
# soak, the gates) then runs alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export MAILSLOT_COMMIT=${MAILSLOT_COMMIT:-$(scripts/commit.sh)}  # what --version names (scripts/commit.sh)

phases=()
# Rows a phase adds under its own (the builds' own times).
subrows=()
started=$SECONDS
# phase NAME COMMAND...: runs one phase and notes its time (a failure stops the script).
phase() {
  local name=$1 begin=$SECONDS
  shift
  echo "test: $name" >&2
  "$@"
  phases+=("$name|$((SECONDS - begin))" ${subrows[@]+"${subrows[@]}"})
  subrows=()
}
report() {
  local status=$?
  echo >&2
  printf '%-44s %8s\n' "phase" "seconds" >&2
  for entry in "${phases[@]}"; do printf '%-44s %8s\n' "${entry%%|*}" "${entry##*|}" >&2; done
  printf '%-44s %8s\n' "total$([ $status -eq 0 ] || echo " (FAILED)")" "$((SECONDS - started))" >&2
}
trap report EXIT

logs=.build-logs
# Interrupted, the builds running beside the foreground one are stopped too, with everything
# they started (compilers included), instead of running on as orphans.
stop_tree() {
  local child
  for child in $(pgrep -P "$1"); do stop_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
foreground=
jobs_started=()
stop_builds() {
  local entry
  for entry in ${jobs_started[@]+"${jobs_started[@]}"}; do stop_tree "${entry##*|}"; done
  [ -z "$foreground" ] || stop_tree "$foreground"
  exit 130
}
trap stop_builds INT TERM
# measure NAME COMMAND...: runs COMMAND, noting its own time in $logs/NAME.seconds.
measure() {
  local name=$1 begin=$SECONDS status=0
  shift
  "$@" || status=$?
  echo $((SECONDS - begin)) >"$logs/$name.seconds"
  return $status
}
# background NAME COMMAND...: measures a build beside the foreground one, its output in
# $logs/NAME.log.
background() {
  measure "$@" >"$logs/$1.log" 2>&1 &
  jobs_started+=("$1|$!")
}
# timed NAME COMMAND...: measures a foreground step, waited for rather than run in front, so a
# signal reaches the trap at once, not after the build.
timed() {
  local status=0
  measure "$@" &
  foreground=$!
  wait "$foreground" || status=$?
  foreground=
  return $status
}
builds() {
  rm -rf "$logs" && mkdir -p "$logs"
  # Packages are resolved first, one manifest at a time: the builds below then only read the
  # shared package cache, never fill it at the same moment.
  swift package resolve >/dev/null
  swift package --package-path Benchmarks resolve >/dev/null
  background asan scripts/sanitize.sh build address
  background tsan scripts/sanitize.sh build thread
  # The release build also gives libmailslot its objects (the benchmark links MailslotC): it is
  # linked from them as users get it (Swift runtime inside) and installed where the C tests
  # compile against it, with no second release compile of the engine.
  # The same build gives the release its programs: scripts/package.sh packs them into dist/
  # for the release's tests.
  background release bash -c 'scripts/build-bench.sh --disable-default-traits \
    && scripts/build-bench.sh --disable-default-traits --product mailslot-gates \
    && scripts/install.sh --objects-from Benchmarks/.build/release --prefix "$PWD/.build-clib/prefix" \
    && for product in mailslot mailslot-netlogon-responder generate-manual; do
         scripts/build-bench.sh --disable-default-traits --product "$product" || exit 1
       done \
    && scripts/package.sh --prebuilt'
  background fuzzer scripts/fuzz-wire.sh build
  local status=0
  timed debug swift build --build-tests || status=1
  # The DocC catalog builds with no warning, and every public symbol has a doc comment.
  [ $status -ne 0 ] || timed docs scripts/docs.sh || status=1
  local entry
  for entry in "${jobs_started[@]}"; do
    if ! wait "${entry##*|}"; then
      tail -40 "$logs/${entry%%|*}.log" >&2
      echo "test: the ${entry%%|*} build failed ($logs/${entry%%|*}.log)" >&2
      status=1
    fi
  done
  local build
  for build in debug docs asan tsan release fuzzer; do
    [ ! -f "$logs/$build.seconds" ] || subrows+=("  $build (alongside the others)|$(cat "$logs/$build.seconds")")
  done
  return $status
}

phase "install (libev, peers)" bash -c 'scripts/setup.sh && scripts/setup-peers.sh'
phase "builds, all at once (own times below)" builds
phase "tests" swift test --skip-build "$@"
# The ring and engine tests again under AddressSanitizer, the thread-crossing ones under
# ThreadSanitizer (scripts/sanitize.sh says what each covers).
phase "sanitizer runs (ASan, TSan)" scripts/sanitize.sh run
# A 30-second soak: writers at twice the knee, exact accounting, flat RSS (scripts/soak.sh 600
# runs the full ten minutes).
phase "soak (30 s)" env MAILSLOT_PREBUILT=1 scripts/soak.sh 30
# The malloc gates (allocations of the steady-state workloads, counted; no timing involved).
phase "malloc gates" env MAILSLOT_PREBUILT=1 scripts/bench-gates.sh
# The benchmark's like-for-like C baselines count exactly (sent = received, in order), with real
# writer processes: a ratio against a baseline that loses would mean nothing.
phase "C baselines exact" Benchmarks/.build/release/mailslot-bench check-baselines
# The wire decoder under libFuzzer, seeded with real peers' datagrams (1,000,000 executions).
phase "fuzzer (1,000,000 runs)" scripts/fuzz-wire.sh run 1000000
