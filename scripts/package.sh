#!/usr/bin/env bash
# Builds a release and packs it for hosts with no Swift toolchain (docs/packaging.md):
#
#   scripts/package.sh              # build, then pack into dist/
#   scripts/package.sh --prebuilt   # pack what the last release build made (the test command
#                                   # builds it alongside the benchmark's; see scripts/test.sh)
#
# Writes:
#   dist/swift-mailslot_<version>_<arch>.tar.gz   unpacks to bin/ lib/ include/ share/
#   dist/swift-mailslot_<version>_<arch>.deb      for apt/dpkg, lintian-clean
#
# Both hold mailslot and mailslot-netlogon-responder (the Swift runtime, libev, libstdc++ and
# libgcc linked in: only glibc stays shared), libmailslot with its headers and .pc files, man
# pages generated from the argument parser, bash/zsh/fish completions, the systemd units, the
# license and the docs. The release build is the benchmark package's (scripts/build-bench.sh),
# so its objects serve the benchmark, the C library and the package alike.
set -euo pipefail
cd "$(dirname "$0")/.."
prebuilt=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prebuilt) prebuilt=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "package: unknown argument $1" >&2; exit 2 ;;
  esac
done
started=$SECONDS
export MAILSLOT_COMMIT=${MAILSLOT_COMMIT:-$(scripts/commit.sh)}  # what --version names (scripts/commit.sh)
scripts/setup.sh
# The packaging tools (dpkg-dev for dpkg-shlibdeps), when missing.
if ! command -v dpkg-shlibdeps >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dpkg-dev >/dev/null
fi
build=Benchmarks/.build/release
if [ "$prebuilt" = 0 ]; then
  for product in mailslot mailslot-netlogon-responder generate-manual; do
    scripts/build-bench.sh --disable-default-traits --product "$product"
  done
  scripts/build-bench.sh --disable-default-traits --target MailslotC
fi
for file in "$build/mailslot" "$build/mailslot-netlogon-responder" "$build/generate-manual"; do
  [ -x "$file" ] || { echo "package: $file is missing (run without --prebuilt)" >&2; exit 1; }
done

version=$(sed -n 's/^#define MSL_VERSION_STRING "\(.*\)"$/\1/p' Sources/CMailslotAPI/include/mailslot/mailslot.h)
arch=$(dpkg --print-architecture)
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)
commit=$("$build/mailslot" --version | sed -n 's/.*(commit \(.*\))$/\1/p')
# Dates from the commit, so two packs of one commit are the same.
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH=$epoch
name="swift-mailslot_${version}_${arch}"
work=.build-package
rm -rf "$work" && mkdir -p "$work" dist
stage="$work/deb"
doc="$stage/usr/share/doc/swift-mailslot"

# Binaries, stripped.
mkdir -p "$stage/usr/bin"
for program in mailslot mailslot-netlogon-responder; do
  install -m 0755 "$build/$program" "$stage/usr/bin/$program"
  strip --strip-unneeded "$stage/usr/bin/$program"
done
# libmailslot, its headers, .pc files and mailslot(3).
scripts/install.sh --objects-from "$build" --prefix /usr --libdir "lib/$triplet" --destdir "$stage" 2>/dev/null
# The static archive stays in the tarball: Debian keeps .a files out of a runtime package, and
# this one (the Swift runtime inside, in 27,000 sections) costs lintian's readelf a minute.
rm "$stage/usr/lib/$triplet/libmailslot.a" "$stage/usr/lib/$triplet/pkgconfig/mailslot-static.pc"
# Man pages: the argument parser's, one per subcommand, named as git names its own
# (mailslot-relay.1, not mailslot.relay.1).
man1="$stage/usr/share/man/man1"
mkdir -p "$man1" "$work/manual"
"$build/generate-manual" "$stage/usr/bin/mailslot" --multi-page --date "$(date -u -d "@$epoch" +%Y-%m-%d)" \
  --output-directory "$work/manual" >/dev/null
rm -f "$work/manual/mailslot.help.1"
for page in "$work/manual"/*.1; do
  command=$(basename "$page" .1 | tr . ' ')
  target=$(echo "$command" | tr ' ' -)
  # NAME names the page (mailslot-serve, for whatis and man -k); SYNOPSIS shows the command as
  # typed (mailslot serve).
  awk -v page="$target" -v command="$command" '
    /^\.Dt / { gsub(/\./, "-", $2); print; next }
    /^\.Nm "/ && !named { print ".Nm " page; named = 1; next }
    /^\.Nm$/ { print ".Nm \"" command "\""; next }
    /^\.Xr mailslot\.help / { next }
    /^\.Xr / { gsub(/\./, "-", $2); print; next }
    { print }' "$page" > "$man1/$target.1"
done
install -m 0644 packaging/man/mailslot-netlogon-responder.1 "$man1/"
gzip -9n "$man1"/*.1 "$stage/usr/share/man/man3/mailslot.3"
# Completions.
completions="$stage/usr/share/bash-completion/completions"
mkdir -p "$completions" "$stage/usr/share/zsh/vendor-completions" "$stage/usr/share/fish/vendor_completions.d"
# (bash-completion sources the script: no #! line.)
"$stage/usr/bin/mailslot" --generate-completion-script bash | sed '1{/^#!/d}' > "$completions/mailslot"
"$stage/usr/bin/mailslot" --generate-completion-script zsh > "$stage/usr/share/zsh/vendor-completions/_mailslot"
"$stage/usr/bin/mailslot" --generate-completion-script fish > "$stage/usr/share/fish/vendor_completions.d/mailslot.fish"
# systemd units and their options.
mkdir -p "$stage/lib/systemd/system" "$stage/etc/default"
install -m 0644 packaging/systemd/* "$stage/lib/systemd/system/"
install -m 0644 packaging/default/* "$stage/etc/default/"
# License and docs.
mkdir -p "$doc/examples"
install -m 0644 packaging/debian/copyright "$doc/copyright"
sed -e "s|@VERSION@|$version|" -e "s|@COMMIT@|$commit|" -e "s|@DATE@|$(date -u -R -d "@$epoch")|" \
  packaging/debian/changelog | gzip -9n > "$doc/changelog.gz"
install -m 0644 README.md "$doc/README.md"
for page in network security loadtest packaging win32-mapping; do install -m 0644 "docs/$page.md" "$doc/$page.md"; done
install -m 0644 docs/prometheus/mailslot-agents.yml "$doc/examples/prometheus.yml"
install -m 0644 docs/grafana/mailslot-loadtest.json "$doc/examples/grafana-dashboard.json"
find "$stage" -type d -exec chmod 0755 {} +

# DEBIAN/: Depends computed from the ELF files' needs (dpkg-shlibdeps reads a debian/control,
# so it runs in a scratch source tree), the library's shlibs, the ldconfig trigger, conffiles.
mkdir -p "$stage/DEBIAN" "$work/source/debian"
printf 'Source: swift-mailslot\n\nPackage: swift-mailslot\nArchitecture: any\n' > "$work/source/debian/control"
depends=$(cd "$work/source" && dpkg-shlibdeps -O -e"../deb/usr/bin/mailslot" -e"../deb/usr/bin/mailslot-netlogon-responder" \
  -e"../deb/usr/lib/$triplet/libmailslot.so.$version" -l"../deb/usr/lib/$triplet" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@SIZE@|$size|" -e "s|@DEPENDS@|$depends|" \
  packaging/debian/control.in > "$stage/DEBIAN/control"
sed "s|@VERSION@|$version|" packaging/debian/shlibs > "$stage/DEBIAN/shlibs"
install -m 0644 packaging/debian/triggers packaging/debian/conffiles "$stage/DEBIAN/"
find "$stage" -newermt "@$epoch" -exec touch -h -d "@$epoch" {} + 2>/dev/null || true
dpkg-deb --build --root-owner-group -Zxz -z1 "$stage" "dist/$name.deb" >/dev/null

# The tarball: the same files under bin/ lib/ include/ share/, .pc files that find their own
# prefix, the units and their option files as examples under share/mailslot/.
tree="$work/tar"
mkdir -p "$tree/bin" "$tree/share/mailslot/systemd"
cp -a "$stage/usr/bin/." "$tree/bin/"
scripts/install.sh --objects-from "$build" --prefix / --libdir lib --destdir "$tree" --relocatable 2>/dev/null
strip --strip-debug "$tree/lib/libmailslot.a"
rm -f "$tree/share/man/man3/mailslot.3"
cp -a "$stage/usr/share/man" "$stage/usr/share/bash-completion" "$stage/usr/share/zsh" "$stage/usr/share/fish" "$tree/share/"
mkdir -p "$tree/share/doc/swift-mailslot"
cp -a "$doc/." "$tree/share/doc/swift-mailslot/"
install -m 0644 LICENSE "$tree/share/doc/swift-mailslot/LICENSE"
cp -a "$stage/lib/systemd/system/." "$tree/share/mailslot/systemd/"
cp -a "$stage/etc/default/." "$tree/share/mailslot/systemd/"
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$tree" -czf "dist/$name.tar.gz" .

echo "package: dist/$name.deb ($(du -k "dist/$name.deb" | cut -f1) KiB), dist/$name.tar.gz ($(du -k "dist/$name.tar.gz" | cut -f1) KiB), Depends: $depends; $((SECONDS - started)) s" >&2
