#!/usr/bin/env bash
# Prints the commit a build names (`mailslot --version`, JSON outputs): 12 hex digits, with
# -dirty when the checkout has uncommitted changes; "unknown" outside a git checkout. The build
# scripts export it as MAILSLOT_COMMIT, which Package.swift reads: SwiftPM caches the manifest
# with its own view of git, so without the variable a build after a new commit can name the old.
cd "$(dirname "$0")/.."
if commit=$(git rev-parse --short=12 HEAD 2>/dev/null); then
  git diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
  echo "$commit"
else
  echo unknown
fi
