#!/usr/bin/env bash
# The README's main command until the benchmark lands: a server process and writer processes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product mailslot
bin=.build/release/mailslot
name="demo-$$"
echo "== mailslot serve $name --count 3 (a server process)" >&2
"$bin" serve "$name" --count 3 --format json &
server=$!
sleep 0.5
for message in "hello from process $$" "second message" "third and last"; do
  echo "== mailslot write $name \"$message\" (a writer process)" >&2
  "$bin" write "$name" "$message"
done
wait "$server"
echo "== mailslot write nosuch hi (no server: expect file-not-found)" >&2
"$bin" write "nosuch-$$" hi || true
