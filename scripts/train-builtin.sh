#!/bin/sh
# Trains the built-in model (models/builtin/) exactly as committed: a Llama-style model with a
# 4,096-token byte-level BPE trained on the same text: all the mixed-case TinyStories text in
# ../shared (tinystories-2MiB and tinystories-v2-gpt4-1.4MB), each file's last 5% of stories held
# out for validation (whole stories: `glasslm eval --documents --val-fraction 0.05` scores the same
# ones). Then copies the model files into place.
#   sh scripts/train-builtin.sh [OUT_DIR]
set -e
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/glasslm-builtin}
DATA=../shared/data/corpora
node bin/glasslm.js train ${THREADS:+--threads $THREADS} \
  --data $DATA/tinystories-2MiB.txt --data $DATA/tinystories-v2-gpt4-1.4MB.txt --val-fraction 0.05 --vocab-size 4096 \
  --arch llama --layers 6 --heads 6 --kv-heads 2 --dim 192 --context 256 \
  --steps 1000 --batch-size 16 --lr 2e-3 --min-lr 1e-4 --warmup 50 --weight-decay 0.1 --grad-clip 1 \
  --eval-interval 100 --eval-batches 20 --checkpoint-interval 100 --seed 1337 \
  --out "$OUT" ${RESUME:+--resume}
mkdir -p models/builtin
cp "$OUT/config.json" "$OUT/model.safetensors" "$OUT/tokenizer.json" "$OUT/loss.svg" models/builtin/
