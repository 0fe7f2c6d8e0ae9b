#!/usr/bin/env bash
# The README's main command: builds mailslot-bench in release mode and runs it.
# With no arguments it runs the quick profile (about a minute once built; 4 to 6 on a fresh
# machine, with the install and the release build); pass `--profile full`,
# `--json FILE`, `--scenarios a,d` and so on to change that (`--help` lists them).
# A run also writes its report, bench-report.html (plots, the targets met or not, the machine),
# in the checkout's top folder, unless given `--report FILE` of its own.
# Run as root (as CI does) so the benchmark can give its receivers deep kernel queues; without
# root it uses the system's (10 datagrams), and bursts are then refused at the writers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-bench.sh
report=()
case "${1:-}" in
  "" | -* | run)
    [[ " $* " == *" --report "* || " $* " == *" --report="* ]] || report=(--report "$PWD/bench-report.html") ;;
esac
Benchmarks/.build/release/mailslot-bench "$@" ${report[@]+"${report[@]}"}
