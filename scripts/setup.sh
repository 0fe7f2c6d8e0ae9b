#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine: libev-dev (the event loop).
# Safe to run again: it installs only what is missing.
set -euo pipefail
missing=()
dpkg -s libev-dev >/dev/null 2>&1 || missing+=(libev-dev)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
  echo "setup: Swift 6 is required (https://www.swift.org/install/linux/)" >&2
  exit 1
fi
