#!/usr/bin/env bash
# Builds the DocC documentation of every public module as one archive (swift-docc-plugin) and
# fails on any DocC warning (a broken symbol link, an undocumented parameter) or any public
# symbol of ours without a `///` comment. The archive lands in
# .build/plugins/Swift-DocC/outputs/swift-mailslot.doccarchive; preview one module with
#   swift package --disable-sandbox preview-documentation --target MailslotEngine
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(MailslotCore MailslotRing MailslotWire MailslotEngine MailslotServiceLifecycle MailslotPrometheus MailslotLoadTest MailslotCharts)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift package --disable-sandbox generate-documentation --enable-experimental-combined-documentation \
  --warnings-as-errors "${targets[@]/#/--target=}" >"$log" 2>&1 || status=$?
grep -Ev '^\[[0-9]+/[0-9]+\]|^(Building|Build of|Compiling|Write)|^$' "$log" >&2 || true
[ "$status" -eq 0 ] || { echo "docs: DocC failed (see above)" >&2; exit 1; }
# Every public declaration of ours has a doc comment (the symbol graphs DocC just used).
/usr/bin/python3 - <<'PY'
import glob, json, sys
missing = []
for path in glob.glob(".build/*/extracted-symbols/main/*/*.symbols.json"):
    for symbol in json.load(open(path))["symbols"]:
        uri = symbol.get("location", {}).get("uri", "")
        if "/Sources/" in uri and symbol.get("accessLevel") in ("public", "open") and not symbol.get("docComment"):
            missing.append(f'{uri.split("/Sources/")[1]}:{symbol["location"]["position"]["line"] + 1} {".".join(symbol["pathComponents"])}')
for line in sorted(set(missing)):
    print("undocumented:", line, file=sys.stderr)
sys.exit(1 if missing else 0)
PY
echo "docs: built, no warnings, every public symbol documented" >&2
