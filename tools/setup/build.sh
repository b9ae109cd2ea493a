#!/usr/bin/env bash
# Configures (once) and builds one build directory: build.sh DIR [meson options]
set -euo pipefail
dir=$1
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
if [[ ! -f "$dir/build.ninja" ]]; then
	meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log" >&2; exit 1; }
	rm -f "$dir.setup.log"
fi
ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { cat "$dir.ninja.log" >&2; exit 1; }
rm -f "$dir.ninja.log"
