#!/usr/bin/env bash
# The accuracy and speed table on ml-1m: every model at the given factors on the given backends, 20 epochs,
# batch 256, 4 negatives, Adam 1e-3, one leave-one-out validation case per user (99 negatives)
# that chooses the epoch. Outputs land in bench-out/ (one file per run; existing files are
# skipped, so an interrupted series resumes); scripts/bench-summary.py makes the table.
#
#   scripts/bench-ml1m.sh "8 16" "cpu gpu"        # factors, backends
#   BENCH=path/to/ncf-bench DATA=../shared/data/ml-1m/ncf EPOCHS=20 scripts/bench-ml1m.sh ...
#
# One `neumf-pre` run trains GMF and MLP (Adam) and then fine-tunes NeuMF-pre (SGD, lr 0.01,
# momentum 0.9), so it gives three rows; `neumf` (NeuMF-end) and `mf` run on their own.
set -euo pipefail
FACTORS=${1:-"8 16 32 64"}
DEVICES=${2:-"cpu gpu"}
BENCH=${BENCH:-target/x86_64-unknown-linux-gnu/release/ncf-bench}
DATA=${DATA:-../shared/data/ml-1m/ncf}
EPOCHS=${EPOCHS:-20}
OUT=${OUT:-bench-out}
MODELS=${MODELS:-"neumf-pre neumf mf"}
mkdir -p "$OUT"
for f in $FACTORS; do
  for dev in $DEVICES; do
    for model in $MODELS; do
      file="$OUT/$model-f$f-$dev.md"
      [ -s "$file" ] && { echo "skip $file"; continue; }
      extra=()
      [ "$model" = neumf-pre ] && extra=(--lr 0.01 --momentum 0.9)
      echo "run $file"
      "$BENCH" --data "$DATA" --name ml-1m --model "$model" --device "$dev" --factors "$f" \
        --epochs "$EPOCHS" --validation 99 "${extra[@]}" > "$file.tmp"
      mv "$file.tmp" "$file"
    done
  done
done
