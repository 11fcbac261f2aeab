#!/usr/bin/env bash
# Builds every fuzz target and runs each for a short time (default 20 s) from its seeds.
# Usage: fuzz/smoke.sh [SECONDS]. Needs cargo-fuzz; uses RUSTC_BOOTSTRAP=1 so that the
# stable toolchain accepts the sanitizer flags cargo-fuzz passes. Each target gets the
# dictionaries of its grammar (dicts/targets).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-20}
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
# The target's dictionaries (dicts/targets names them), joined into one file.
dictionary() {
  local grammars out
  grammars=$(awk -v t="$1" '$1 == t { $1 = ""; print }' dicts/targets)
  [ -n "$grammars" ] || return 0
  out=$(mktemp --suffix=.dict)
  for g in $grammars; do cat "dicts/$g.dict" >> "$out"; done
  echo "$out"
}
for target in $(cargo fuzz list); do
  corpus=$(mktemp -d)
  seeds=()
  [ -d "seeds/$target" ] && seeds=("seeds/$target")
  dict=$(dictionary "$target")
  echo "== fuzz $target for ${secs}s"
  cargo fuzz run -O "$target" "$corpus" "${seeds[@]}" -- -max_total_time="$secs" -max_len=4096 \
    ${dict:+-dict="$dict"} 2>&1 \
    | grep -E '^(Done|==[0-9]+==|SUMMARY|thread .* panicked)' || true
  rm -rf "$corpus" ${dict:+"$dict"}
  if [ -n "$(ls -A artifacts/"$target" 2>/dev/null)" ]; then
    echo "fuzz target $target found a crash: see fuzz/artifacts/$target"; exit 1
  fi
done
