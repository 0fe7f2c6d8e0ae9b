#!/usr/bin/env bash
# Builds libmailslot (the C library: <mailslot/mailslot.h> and the Win32 mailslot API) and
# installs it like any C library:
#
#   scripts/install.sh [--prefix DIR]        # default /usr/local
#   scripts/install.sh --uninstall [--prefix DIR]
#   scripts/install.sh --prebuilt [--prefix DIR]   # install what the last build made
#
# Installs:
#   DIR/lib/libmailslot.so.0.9.0 (+ .so.0, .so links)   the Swift runtime linked in: runs
#                                                        where no Swift toolchain is
#   DIR/include/mailslot/{mailslot.h,win32.h}           the headers
#   DIR/include/mailslot/compat/{windows,winbase,windef,tchar,strsafe}.h
#   DIR/lib/pkgconfig/{mailslot,mailslot-win32}.pc
#   DIR/share/man/man3/mailslot.3
#   DIR/share/mailslot/install-manifest                 what --uninstall removes
#
# The build (release, scratch folder .build-clib) takes a few minutes the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local
mode=install
prebuilt=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --uninstall) mode=uninstall; shift ;;
    --prebuilt) prebuilt=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
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
if [ "$prebuilt" = 0 ]; then
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
fi
built="$scratch/release/libmailslot-c.so"
[ -f "$built" ] || { echo "install: $built is missing (build first, without --prebuilt)" >&2; exit 1; }

lib="$prefix/lib"
include="$prefix/include/mailslot"
mkdir -p "$lib/pkgconfig" "$include/compat" "$prefix/share/man/man3" "$prefix/share/mailslot"
installed=()
put() {  # put MODE SOURCE DEST
  install -m "$1" "$2" "$3"
  installed+=("$3")
}
put 0755 "$built" "$lib/libmailslot.so.$version"
strip --strip-unneeded "$lib/libmailslot.so.$version" 2>/dev/null || true
ln -sf "libmailslot.so.$version" "$lib/libmailslot.so.$major"
ln -sf "libmailslot.so.$major" "$lib/libmailslot.so"
installed+=("$lib/libmailslot.so.$major" "$lib/libmailslot.so")
for header in mailslot.h win32.h; do
  put 0644 "Sources/CMailslotAPI/include/mailslot/$header" "$include/$header"
done
for header in Sources/CMailslotAPI/include/mailslot/compat/*.h; do
  put 0644 "$header" "$include/compat/$(basename "$header")"
done
for pc in mailslot mailslot-win32; do
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" "docs/c/$pc.pc.in" > "$lib/pkgconfig/$pc.pc"
  installed+=("$lib/pkgconfig/$pc.pc")
done
put 0644 docs/c/mailslot.3 "$prefix/share/man/man3/mailslot.3"
printf '%s\n' "${installed[@]}" "$manifest" > "$manifest"
# A system prefix: let the dynamic linker find the new library now.
if [ "$(id -u)" -eq 0 ] && [ "$prefix" = /usr/local ] || [ "$prefix" = /usr ]; then ldconfig 2>/dev/null || true; fi
echo "install: libmailslot $version in $prefix (${#installed[@]} files; pkg-config mailslot, mailslot-win32)" >&2
