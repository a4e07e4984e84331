#!/usr/bin/env bash
# header_hygiene.sh DIR HEADER...: each public header, copied alone with
# the others into an empty include tree (so nothing outside the installed
# set can be reached), must compile on its own as C++17 with -Wall -Wextra
# -Wpedantic -Werror; werk.h must also compile as C99.
set -euo pipefail
src=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/include/werk"
for h in "$@"; do cp "$src/$h" "$tmp/include/werk/"; done
fail=0
for h in "$@"; do
  printf '#include "werk/%s"\n#include "werk/%s"\nint main() { return 0; }\n' "$h" "$h" > "$tmp/t.cpp"
  if ! "${CXX:-c++}" -std=c++17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$tmp/include" "$tmp/t.cpp"; then
    echo "header_hygiene: werk/$h does not compile alone as C++17" >&2
    fail=1
  fi
  case $h in
    werk.h|export.h)
      printf '#include "werk/%s"\nint main(void) { return 0; }\n' "$h" > "$tmp/t.c"
      if ! "${CC:-cc}" -std=c99 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$tmp/include" "$tmp/t.c"; then
        echo "header_hygiene: werk/$h does not compile alone as C99" >&2
        fail=1
      fi
      ;;
  esac
done
[[ $fail == 0 ]] && echo "header_hygiene: $# headers compile alone (C++17; werk.h and export.h also C99)"
exit $fail
