#!/usr/bin/env bash
# Builds libmailslot (the C library: <mailslot/mailslot.h> and the Win32 mailslot API) and
# installs it like any C library:
#
#   scripts/install.sh [--prefix DIR]        # default /usr/local
#   scripts/install.sh --uninstall [--prefix DIR]
#   scripts/install.sh --prebuilt [--prefix DIR]   # install what the last build made
#   scripts/install.sh --objects-from DIR [--prefix DIR]
#       link the library from the release objects in DIR instead of compiling them: a release
#       build of a package that links MailslotC, as the benchmark's does (Benchmarks/.build/
#       release). The test command uses it: the same objects, compiled once rather than twice.
#   For packages (scripts/package.sh):
#     --destdir DIR     install under DIR as if into PREFIX (DESTDIR); no install manifest
#     --libdir SUBDIR   the library folder under PREFIX (default lib; Debian: lib/<triplet>)
#     --relocatable     .pc files that find the prefix from their own place (${pcfiledir}),
#                       for a tarball unpacked anywhere
#
# Installs:
#   DIR/lib/libmailslot.so.0.9.0 (+ .so.0, .so links)   the Swift runtime linked in: runs
#                                                        where no Swift toolchain is
#   DIR/lib/libmailslot.a                               the same as one object, the Swift
#                                                        runtime inside and hidden
#   DIR/include/mailslot/{mailslot.h,win32.h}           the headers
#   DIR/include/mailslot/compat/{windows,winbase,windef,tchar,strsafe}.h
#   DIR/lib/pkgconfig/{mailslot,mailslot-win32,mailslot-static}.pc
#   DIR/share/man/man3/mailslot.3
#   DIR/share/mailslot/install-manifest                 what --uninstall removes
#
# The build (release, scratch folder .build-clib) takes about a minute the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local
mode=install
prebuilt=0
objects_from=
destdir=
libdir=lib
relocatable=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --uninstall) mode=uninstall; shift ;;
    --prebuilt) prebuilt=1; shift ;;
    --objects-from) objects_from=$2; shift 2 ;;
    --destdir) destdir=$2; shift 2 ;;
    --libdir) libdir=$2; shift 2 ;;
    --relocatable) relocatable=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "install: unknown argument $1" >&2; exit 2 ;;
  esac
done
version=$(sed -n 's/^#define MSL_VERSION_STRING "\(.*\)"$/\1/p' Sources/CMailslotAPI/include/mailslot/mailslot.h)
major=${version%%.*}
manifest="$prefix/share/mailslot/install-manifest"

if [ "$mode" = uninstall ]; then
  if [ ! -f "$manifest" ]; then
    echo "install: nothing to uninstall under $prefix (no $manifest)" >&2
    exit 1
  fi
  count=0
  while IFS= read -r file; do
    if [ -e "$file" ] || [ -L "$file" ]; then rm -f "$file"; count=$((count + 1)); fi
  done < "$manifest"
  rm -f "$manifest"
  # Folders this script made, if now empty.
  for dir in "$prefix/include/mailslot/compat" "$prefix/include/mailslot" "$prefix/share/mailslot"; do
    rmdir "$dir" 2>/dev/null || true
  done
  echo "install: removed $count files from $prefix" >&2
  exit 0
fi

scratch=.build-clib
# The modules libmailslot is made of (MailslotC and what it imports), as object folders.
modules="MailslotC CMailslotAPI MailslotEngine MailslotCore MailslotRing MailslotWire Logging CoreMetrics"

# objects DIR: the object files of those modules in a release build folder, one per line.
objects() {
  local module
  for module in $modules; do
    [ -d "$1/$module.build" ] || { echo "install: $1 has no $module objects (build it first)" >&2; exit 1; }
    find "$1/$module.build" -name '*.o' | sort
  done
}

# link_from DIR: libmailslot-c.so in $scratch/release from DIR's objects, linked as the build
# links it (the static Swift runtime, its symbols kept private).
link_from() {
  local list=()
  mapfile -t list < <(objects "$1")
  mkdir -p "$scratch/release"
  swiftc -emit-library -static-stdlib -o "$scratch/release/libmailslot-c.so" -Xlinker -soname=libmailslot.so."$major" "${list[@]}"
}

# make_archive DIR: libmailslot.a from DIR's objects and the Swift runtime they use (swiftrt.o
# for the metadata registration, and the static runtime archives the objects ask for), linked
# into one relocatable object in which every symbol but the C API's is made local: a C program
# links it with -lev -lstdc++ -lm and needs no toolchain, and the runtime inside cannot clash
# with another copy in the same program.
make_archive() {
  local toolchain runtime work list=() libraries
  toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
  runtime="$toolchain/usr/lib/swift_static/linux"
  work="$scratch/static"
  rm -rf "$work" && mkdir -p "$work"
  mapfile -t list < <(objects "$1")
  # The libraries the Swift objects name (their autolink entries), minus the system's own.
  libraries=$("$toolchain/usr/bin/swift-autolink-extract" "${list[@]}" -o - | tr ' ' '\n' \
    | grep -Ev '^-l(stdc\+\+|m|dl|pthread|ev|c|rt|util)$' | grep . | sort -u | tr '\n' ' ')
  # shellcheck disable=SC2086 # one flag per word
  ld -r -o "$work/libmailslot.o" "$runtime/x86_64/swiftrt.o" "${list[@]}" -L"$runtime" $libraries -ldispatch -lBlocksRuntime
  nm -g --defined-only "$scratch/release/libmailslot-c.so" | awk '$2 == "T" { print $3 }' \
    | grep -E '^(msl_[a-z]|[A-Z][A-Za-z]+$|lstrlenA$)' > "$work/exports"
  objcopy --keep-global-symbols="$work/exports" "$work/libmailslot.o"
  rm -f "$scratch/release/libmailslot.a"
  ar rcs "$scratch/release/libmailslot.a" "$work/libmailslot.o"
}

if [ -n "$objects_from" ]; then
  echo "install: linking libmailslot $version from $objects_from" >&2
  link_from "$objects_from"
  make_archive "$objects_from"
elif [ "$prebuilt" = 0 ]; then
  scripts/setup.sh
  echo "install: building libmailslot $version (release, Swift runtime linked in)" >&2
  log=$(mktemp)
  if ! swift build -c release --product mailslot-c --scratch-path "$scratch" \
      -Xswiftc -static-stdlib -Xlinker -soname=libmailslot.so."$major" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "install: build failed" >&2
    exit 1
  fi
  rm -f "$log"
  make_archive "$scratch/release"
fi
built="$scratch/release/libmailslot-c.so"
for file in "$built" "$scratch/release/libmailslot.a"; do
  [ -f "$file" ] || { echo "install: $file is missing (build first, without --prebuilt)" >&2; exit 1; }
done

root="$destdir$prefix"
lib="$root/$libdir"
include="$root/include/mailslot"
mkdir -p "$lib/pkgconfig" "$include/compat" "$root/share/man/man3"
[ -n "$destdir" ] || mkdir -p "$prefix/share/mailslot"
installed=()
put() {  # put MODE SOURCE DEST
  install -m "$1" "$2" "$3"
  installed+=("$3")
}
put 0644 "$built" "$lib/libmailslot.so.$version"
strip --strip-unneeded "$lib/libmailslot.so.$version" 2>/dev/null || true
ln -sf "libmailslot.so.$version" "$lib/libmailslot.so.$major"
ln -sf "libmailslot.so.$major" "$lib/libmailslot.so"
installed+=("$lib/libmailslot.so.$major" "$lib/libmailslot.so")
put 0644 "$scratch/release/libmailslot.a" "$lib/libmailslot.a"
for header in mailslot.h win32.h; do
  put 0644 "Sources/CMailslotAPI/include/mailslot/$header" "$include/$header"
done
for header in Sources/CMailslotAPI/include/mailslot/compat/*.h; do
  put 0644 "$header" "$include/compat/$(basename "$header")"
done
pc_prefix=$prefix
# From lib/pkgconfig (or lib/<triplet>/pkgconfig) back up to the prefix.
[ "$relocatable" = 0 ] || pc_prefix="\${pcfiledir}/$(echo "$libdir/pkgconfig" | sed 's|[^/][^/]*|..|g')"
for pc in mailslot mailslot-win32 mailslot-static; do
  sed -e "s|@PREFIX@|$pc_prefix|g" -e "s|@LIBDIR@|\${prefix}/$libdir|g" -e "s|@VERSION@|$version|g" \
    "docs/c/$pc.pc.in" > "$lib/pkgconfig/$pc.pc"
  chmod 0644 "$lib/pkgconfig/$pc.pc"
  installed+=("$lib/pkgconfig/$pc.pc")
done
put 0644 docs/c/mailslot.3 "$root/share/man/man3/mailslot.3"
if [ -n "$destdir" ]; then
  echo "install: libmailslot $version staged in $destdir$prefix (${#installed[@]} files)" >&2
  exit 0
fi
printf '%s\n' "${installed[@]}" "$manifest" > "$manifest"
# A system prefix: let the dynamic linker find the new library now.
if [ "$(id -u)" -eq 0 ] && { [ "$prefix" = /usr/local ] || [ "$prefix" = /usr ]; }; then ldconfig 2>/dev/null || true; fi
echo "install: libmailslot $version in $prefix (${#installed[@]} files; pkg-config mailslot, mailslot-win32, mailslot-static)" >&2
