#!/usr/bin/env bash
# Builds every fuzz target and runs each for a short time (default 20 s) from its seeds.
# Usage: fuzz/smoke.sh [SECONDS]. Needs cargo-fuzz; uses RUSTC_BOOTSTRAP=1 so that the
# stable toolchain accepts the sanitizer flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-20}
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
for target in $(cargo fuzz list); do
  corpus=$(mktemp -d)
  seeds=()
  [ -d "seeds/$target" ] && seeds=("seeds/$target")
  echo "== fuzz $target for ${secs}s"
  cargo fuzz run -O "$target" "$corpus" "${seeds[@]}" -- -max_total_time="$secs" -max_len=4096 2>&1 \
    | grep -E '^(Done|==[0-9]+==|SUMMARY|thread .* panicked)' || true
  rm -rf "$corpus"
  if [ -n "$(ls -A artifacts/"$target" 2>/dev/null)" ]; then
    echo "fuzz target $target found a crash: see fuzz/artifacts/$target"; exit 1
  fi
done
