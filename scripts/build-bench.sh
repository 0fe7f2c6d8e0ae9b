#!/usr/bin/env bash
# Builds mailslot-bench (or `--product NAME`: mailslot-gates, or the package's mailslot,
# mailslot-netlogon-responder and MailslotC for scripts/package.sh) in release mode, quietly
# (the log is shown only when the build fails).
# Used by scripts/bench.sh and scripts/soak.sh; arguments go to `swift build` (the soak passes
# --disable-default-traits: it needs no SwiftNIO baseline).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export MAILSLOT_COMMIT=${MAILSLOT_COMMIT:-$(scripts/commit.sh)}  # what --version names (scripts/commit.sh)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The product: mailslot-bench, or another given as `--product NAME` (the gates' mailslot-gates).
product=mailslot-bench
selector=--product
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --product) product=$2; shift 2 ;;
    # A module's objects only, no link (scripts/package.sh: MailslotC, for libmailslot).
    --target) product=$2; selector=--target; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
# Every release binary is linked with the Swift runtime inside. The programs scripts/package.sh
# ships (mailslot, mailslot-netlogon-responder) also take libev and libstdc++ in (only glibc and
# its libgcc_s stay shared): the linker finds libev.a and libstdc++.a first in a folder holding
# nothing else. (Not for the benchmark's programs: mailslot-gates exports its symbols, which
# Debian's non-PIC libev.a cannot link with.) These flags change only the link, so every
# program shares every compiled object.
link=(--static-swift-stdlib)
case "$product" in
  mailslot|mailslot-netlogon-responder)
    static=$PWD/.build-static-libs
    mkdir -p "$static"
    ln -sf "$(dpkg -L libev-dev | grep '/libev\.a$' | head -1)" "$static/libev.a"
    ln -sf "$(gcc -print-file-name=libstdc++.a)" "$static/libstdc++.a"
    link+=(-Xlinker -L"$static")
    ;;
esac
echo "build-bench: building $product (release)" >&2
if ! swift build -c release --package-path Benchmarks "$selector" "$product" "${link[@]}" ${args[@]+"${args[@]}"} >"$log" 2>&1; then
  cat "$log" >&2
  echo "build-bench: build failed" >&2
  exit 1
fi
