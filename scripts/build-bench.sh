#!/usr/bin/env bash
# Builds mailslot-bench (or `--product NAME`) in release mode (quietly; the log is shown only when the build fails).
# Used by scripts/bench.sh and scripts/soak.sh; arguments go to `swift build` (the soak passes
# --disable-default-traits: it needs no SwiftNIO baseline).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The product: mailslot-bench, or another given as `--product NAME` (the gates' mailslot-gates).
product=mailslot-bench
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --product) product=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
echo "build-bench: building $product (release)" >&2
if ! swift build -c release --package-path Benchmarks --product "$product" ${args[@]+"${args[@]}"} >"$log" 2>&1; then
  cat "$log" >&2
  echo "build-bench: build failed" >&2
  exit 1
fi
