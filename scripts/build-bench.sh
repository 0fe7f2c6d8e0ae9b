#!/usr/bin/env bash
# Builds mailslot-bench in release mode (quietly; the log is shown only when the build fails).
# Used by scripts/bench.sh and scripts/soak.sh; arguments go to `swift build` (the soak passes
# --disable-default-traits: it needs no SwiftNIO baseline).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "build-bench: building mailslot-bench (release)" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! swift build -c release --package-path Benchmarks --product mailslot-bench "$@" >"$log" 2>&1; then
  cat "$log" >&2
  echo "build-bench: build failed" >&2
  exit 1
fi
