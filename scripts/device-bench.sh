#!/usr/bin/env bash
# The peer table on a real GPU, through the `device` tool (an NVIDIA machine with no Node and
# maybe no Vulkan loader). Two halves:
#
#   scripts/device-bench.sh prepare   # here: builds ncf-bench, fetches the Vulkan/EGL loader
#                                     # .debs into .gl/, stages binary + ML-1M split + the peer
#                                     # script into .devbench/ (both ignored by git, never shipped)
#   then one device call:
#     run(command: "bash scripts/device-bench.sh remote", carry: [".gl", ".devbench"], timeout_s: 540)
#   scripts/device-bench.sh remote    # there: unpacks the loaders, then runs the table
#
# The remote half checks correctness first: the ncf-gpu parity test binaries, built here and
# carried in .devbench/parity/, run on the device's adapter (every kernel against the CPU
# backend, at the device's lane count), into $OUT/parity.log. Then the speed table, inside ~8
# minutes in all: ours on the GPU (dense and sparse) and on its CPU cores, PyTorch on its CPU
# cores, and PyTorch on CUDA when the device's python has it (torch_ncf.py --device cuda).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
mode=${1:-}

case $mode in
prepare)
  cargo build --release -p ncf-bench
  grep -qx '/.gl/' .git/info/exclude 2>/dev/null || echo /.gl/ >>.git/info/exclude
  grep -qx '/.devbench/' .git/info/exclude 2>/dev/null || echo /.devbench/ >>.git/info/exclude
  mkdir -p .gl /tmp/amd64/partial .devbench/data
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  # shellcheck disable=SC2086
  if ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
    apt-get $o update >/dev/null
    (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  fi
  cp target/release/ncf-bench .devbench/
  # The parity test binaries of ncf-gpu (each kernel against the CPU backend), as cargo built them.
  rm -rf .devbench/parity && mkdir -p .devbench/parity
  cargo test --release -p ncf-gpu --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["executable"])' | while read -r exe; do cp "$exe" .devbench/parity/; done
  ls .devbench/parity
  cp scripts/bench-peers.sh scripts/peer-table.py .devbench/
  # MovieLens travels only in this ignored staging folder, for the run, never in the repo.
  cp "${DATA:-$ROOT/../shared/data/ml-1m/ncf}"/ml-1m.{train.rating,test.rating,test.negative} .devbench/data/
  cp "${PEER:-$ROOT/../shared/peers/torch_ncf.py}" .devbench/
  du -sh .gl .devbench
  echo 'now: run(command: "bash scripts/device-bench.sh remote", carry: [".gl", ".devbench"], timeout_s: 540)'
  ;;
remote)
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
  if [ ! -e /usr/share/vulkan/icd.d/nvidia_icd.json ] && [ -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  fi
  OUT=${OUT:-/tmp/out}
  mkdir -p "$OUT"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$OUT/gpu.txt" 2>&1 || true
  chmod +x .devbench/ncf-bench .devbench/parity/*
  # Correctness first: every parity binary on the device's adapter, each under its own limit.
  : >"$OUT/parity.log"
  for t in .devbench/parity/*; do
    echo "== $(basename "$t")" >>"$OUT/parity.log"
    timeout 120 "$t" --test-threads 1 >>"$OUT/parity.log" 2>&1 || echo "FAILED $(basename "$t")" >>"$OUT/parity.log"
  done
  grep -E '^test result|^FAILED' "$OUT/parity.log" || true
  # The GPU rows first (what the device is for), then the CPU rows and the peer if time allows.
  export BENCH=$ROOT/.devbench/ncf-bench DATA=$ROOT/.devbench/data PREFIX=ml-1m PEER=$ROOT/.devbench/torch_ncf.py
  export TORCH_PY=${TORCH_PY:-python3}
  top=$OUT
  OUT=$top/gpu OURS="gpu-dense gpu-sparse" PEERS="" timeout 300 bash .devbench/bench-peers.sh \
    >"$top/gpu.md" 2>"$top/gpu.log" || true
  OUT=$top/cpu OURS="cpu-sparse" PEERS="16:adam 16:adam-fused" CONFIGS="gmf:8 neumf:8 neumf:32" BATCHES=256 \
    timeout 180 bash .devbench/bench-peers.sh >"$top/cpu.md" 2>"$top/cpu.log" || true
  if "$TORCH_PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    for m in GMF NeuMF-end; do
      timeout 120 "$TORCH_PY" "$PEER" --data "$DATA" --prefix ml-1m --model "$m" --factors 8 --device cuda \
        --throughput 256,1024 >>"$top/cuda-peer.md" 2>&1 || true
    done
  fi
  cat "$top/gpu.txt" "$top/gpu.md" "$top/cpu.md" "$top/cuda-peer.md" 2>/dev/null || true
  ;;
*)
  echo "usage: scripts/device-bench.sh prepare | remote" >&2
  exit 2
  ;;
esac
