#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine: libev-dev (the event loop), and a
# C compiler with pkg-config (the C library's tests build C programs as its users do).
# Safe to run again: it installs only what is missing.
set -euo pipefail
missing=()
dpkg -s libev-dev >/dev/null 2>&1 || missing+=(libev-dev)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
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
