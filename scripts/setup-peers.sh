#!/usr/bin/env bash
# Installs the real third-party peers the interop tests talk to, when missing: tshark (decodes
# what we send), scapy (builds datagrams we receive), python3-samba (Samba's NDR parser), iproute2 (network namespaces for
# multi-host tests), Samba's nmbd and smbtorture, curl (scrapes /metrics), xmllint and headless
# Chromium (the load test's HTML report), iperf2 (the load test's baseline); for the release's
# tests, lintian (the .deb), zsh and fish (the completions), dpkg-dev (dpkg-shlibdeps) and
# systemd (systemd-analyze, systemd-socket-activate; not started). Safe to run again.
set -euo pipefail
missing=()
for package in tshark python3-scapy iproute2 samba python3-samba samba-testsuite curl libxml2-utils chromium iperf \
  lintian zsh fish dpkg-dev systemd; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup-peers: installing ${missing[*]}" >&2
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
# Installing samba must not start daemons on the host: the tests run their own nmbd.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created_policy=1
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ "$created_policy" -eq 1 ] && $SUDO rm -f "$policy"
exit 0
