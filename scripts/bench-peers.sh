#!/usr/bin/env bash
# Training throughput of ncf-native beside the PyTorch NCF peer (../shared/peers/torch_ncf.py),
# measured in alternation in one run on the same data, so the ratios hold on a noisy machine.
#
#   scripts/bench-peers.sh                      # the BENCHMARKS.md table (ML-1M, ~30 min here)
#   CONFIGS="neumf:8" BATCHES=256 scripts/bench-peers.sh   # one row
#
# Environment (all optional):
#   DATA       NCF split folder             (default ../shared/data/ml-1m/ncf, name from PREFIX)
#   PREFIX     file prefix                  (default ml-1m)
#   CONFIGS    model:factors list           (default "gmf:8 gmf:64 neumf:8 neumf:32 neumf:64")
#   BATCHES    batch sizes                  (default "256 65536")
#   OURS       our variants                 (default "cpu-dense cpu-sparse gpu-dense gpu-sparse")
#   GPU_CONFIGS  configs the GPU variants run (default: all; lavapipe is slow, e.g. "gmf:8 neumf:8")
#   PEERS      PyTorch variants             (default "1:adam 1:adam-fused 2:adam 2:adam-fused"; "" for none)
#   TP_SAMPLES samples the peer times        (default 300000, after 20 warm-up batches)
#   ROUNDS     alternations of the whole set (default 1)
#   TORCH_PY   python with torch            (default /tmp/torch-venv/bin/python, created if absent)
#   BENCH      ncf-bench binary             (default target/release/ncf-bench, built if absent
#              or when BUILD=1)
#   OUT        folder for the raw log and the table (default bench-out/peers-<date>)
#
# Ours: one full epoch (negative sampling included, evaluation off) of ncf-bench; the peer:
# samples/s of --throughput (its epoch's negatives drawn beforehand, so it is timed on less).
# A large batch (> 4096) uses the large-batch recipe: Adam lr 0.0045, β1 0.25, β2 0.5
# (ours; the peer keeps its Adam defaults, and its throughput does not depend on them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA=${DATA:-$ROOT/../shared/data/ml-1m/ncf}
PREFIX=${PREFIX:-ml-1m}
CONFIGS=${CONFIGS:-"gmf:8 gmf:64 neumf:8 neumf:32 neumf:64"}
BATCHES=${BATCHES:-"256 65536"}
OURS=${OURS-"cpu-dense cpu-sparse gpu-dense gpu-sparse"}
GPU_CONFIGS=${GPU_CONFIGS:-$CONFIGS}
PEERS=${PEERS-"1:adam 1:adam-fused 2:adam 2:adam-fused"}
TP_SAMPLES=${TP_SAMPLES:-300000}
ROUNDS=${ROUNDS:-1}
TORCH_PY=${TORCH_PY:-/tmp/torch-venv/bin/python}
BENCH=${BENCH:-$ROOT/target/release/ncf-bench}
OUT=${OUT:-$ROOT/bench-out/peers-$(date -u +%Y%m%dT%H%M%S)}
PEER=${PEER:-$ROOT/../shared/peers/torch_ncf.py}
mkdir -p "$OUT"
LOG=$OUT/raw.jsonl
: >"$LOG"

if [ ! -x "$BENCH" ] || [ -n "${BUILD:-}" ]; then cargo build --release -p ncf-bench; fi
if [ -n "$PEERS" ] && ! command -v "$TORCH_PY" >/dev/null; then
  python3 -m venv "$(dirname "$(dirname "$TORCH_PY")")"
  "$(dirname "$TORCH_PY")/pip" install -q torch numpy
fi
[ -f "$DATA/$PREFIX.train.rating" ] || { echo "bench-peers: no $DATA/$PREFIX.train.rating" >&2; exit 1; }
[ -z "$PEERS" ] || [ -f "$PEER" ] || { echo "bench-peers: no peer script at $PEER" >&2; exit 1; }

# Machine facts for the table's caption.
{
  echo "{\"event\":\"machine\",\"date\":\"$(date -u +%Y-%m-%dT%H:%MZ)\",\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\",\"cores\":$(nproc),\"commit\":\"$(git rev-parse --short HEAD 2>/dev/null || echo none)\"}"
} >>"$LOG"

ours() { # variant model factors batch
  local variant=$1 model=$2 f=$3 b=$4 dev=cpu extra=()
  case $variant in gpu-*) dev=gpu ;; esac
  case $variant in *-sparse) extra+=(--sparse) ;; esac
  if [ "$b" -gt 4096 ]; then extra+=(--lr 0.0045 --beta1 0.25 --beta2 0.5); fi
  local out
  if ! out=$("$BENCH" --data "$DATA" --name "$PREFIX" --model "$model" --device "$dev" --factors "$f" \
    --epochs 1 --batch "$b" --no-eval "${extra[@]}" 2>&1); then
    echo "$out" | tail -3 >&2
    printf '{"event":"ours","variant":"%s","model":"%s","factors":%s,"batch":%s,"error":true}\n' \
      "$variant" "$model" "$f" "$b" >>"$LOG"
    return
  fi
  # The epoch row: | 1 | loss | HR | NDCG | vHR | vNDCG | seconds | samples/s |
  local row backend
  row=$(echo "$out" | grep -E '^\| 1 \|' | tail -1)
  backend=$(echo "$out" | grep -m1 '^# backend:' | sed 's/^# backend: //; s/; options.*//')
  local secs sps
  secs=$(echo "$row" | awk -F'|' '{gsub(/ /,"",$8); print $8}')
  sps=$(echo "$row" | awk -F'|' '{gsub(/ /,"",$9); print $9}')
  printf '{"event":"ours","variant":"%s","model":"%s","factors":%s,"batch":%s,"seconds":%s,"samples_per_s":%s,"backend":"%s"}\n' \
    "$variant" "$model" "$f" "$b" "$secs" "$sps" "$backend" >>"$LOG"
  echo "  ours $variant $model f$f b$b: $secs s, $sps samples/s" >&2
}

peer() { # threads opt model factors batch
  local t=$1 opt=$2 model=$3 f=$4 b=$5 name
  case $model in gmf) name=GMF ;; neumf) name=NeuMF-end ;; mlp) name=MLP ;; esac
  local n=$TP_SAMPLES
  [ "$n" -lt "$((b * 4))" ] && n=$((b * 4))
  "$TORCH_PY" "$PEER" --data "$DATA" --prefix "$PREFIX" --model "$name" --factors "$f" --threads "$t" \
    --opt "$opt" --throughput "$b" --tp-samples "$n" 2>/dev/null | grep '"throughput"' >>"$LOG" ||
    printf '{"event":"throughput","model":"%s","factors":%s,"threads":%s,"opt":"%s","batch":%s,"error":true}\n' \
      "$name" "$f" "$t" "$opt" "$b" >>"$LOG"
  tail -1 "$LOG" | sed 's/^/  peer /' >&2
}

for round in $(seq "$ROUNDS"); do
  for cfg in $CONFIGS; do
    model=${cfg%%:*} f=${cfg##*:}
    for b in $BATCHES; do
      echo "round $round: $model f$f batch $b" >&2
      # Alternate: each of ours, then each peer variant, for this one configuration.
      for v in $OURS; do
        case $v in gpu-*) [[ " $GPU_CONFIGS " == *" $cfg "* ]] || continue ;; esac
        ours "$v" "$model" "$f" "$b"
      done
      for p in $PEERS; do peer "${p%%:*}" "${p##*:}" "$model" "$f" "$b"; done
    done
  done
done

python3 "$ROOT/scripts/peer-table.py" "$LOG" | tee "$OUT/table.md"
echo "raw log: $LOG" >&2
