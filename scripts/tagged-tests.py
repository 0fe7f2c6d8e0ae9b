#!/usr/bin/env python3
"""Prints a `swift test --filter` regular expression that selects the tests carrying a tag.

Usage: scripts/tagged-tests.py TAG [TEST FOLDER]

Swift Testing's command line filters by name only, so the tag is read where it is written: a
suite with `.tags(.TAG)` selects all of its tests (`Suite/`), a test with it selects itself
(`Suite/function(`). The selection thus follows the tag as tests gain or lose it, with no
list of names to keep. Exits 1 when nothing carries the tag (a filter that selects nothing
would pass silently).
"""
import pathlib
import re
import sys

tag = sys.argv[1]
root = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "Tests")
marker = f".tags(.{tag})"
selected = []
for path in sorted(root.rglob("*.swift")):
    lines = path.read_text().splitlines()
    suite = None
    pending = None  # the attribute text of a @Suite or @Test waiting for its declaration
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("@Suite(") or stripped.startswith("@Test("):
            pending = stripped
            continue
        if pending is not None and not re.match(r"(struct|final class|class|func|@)", stripped):
            pending += " " + stripped  # an attribute spread over lines
            continue
        declaration = re.match(r"(?:final )?(?:struct|class) (\w+)", stripped)
        if declaration:
            suite = declaration.group(1)
            if pending and pending.startswith("@Suite(") and marker in pending:
                selected.append(rf"\.{suite}/")
        function = re.match(r"(?:@\w+ )*func (\w+)\(", stripped)
        if function and pending and pending.startswith("@Test(") and marker in pending and suite:
            selected.append(rf"\.{suite}/{function.group(1)}\(")
        if declaration or function:
            pending = None
if not selected:
    sys.exit(f"tagged-tests: no test carries .tags(.{tag})")
print("|".join(selected))
