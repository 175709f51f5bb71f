#!/bin/sh
# The built-in story assistant, from the base model to preference tuning, in one command:
#   sh scripts/story-assistant.sh [RUNS_DIR]        (default runs/story; each stage is skipped
#                                                    when its output is already there)
# 1. instructions made from the TinyStories text (the last 5% of each file's stories held out);
# 2. supervised fine-tuning of models/builtin: a LoRA adapter and a full fine-tuning, compared;
# 3. the story assistant (base + the LoRA adapter) measured against the base on held-out
#    instructions, and shipped in models/story-assistant;
# 4. preference pairs: the assistant samples two stories per training instruction and a judge
#    program (standing in for human raters) prefers the one using more of the requested words;
# 5. a reward model on those pairs; DPO on the pairs; GRPO against the learned reward model;
# 6. fresh samples on held-out instructions for the SFT, DPO and GRPO models: the judge's score,
#    the learned reward, KL to the SFT reference and held-out bits per byte.
# Each stage prints its wall time; the measures land in RUNS_DIR/*.json.
set -e
cd "$(dirname "$0")/.."
R=${1:-runs/story}
mkdir -p "$R"
[ -f dist/bench/story-preferences.js ] || npx tsc -p .
G="node bin/glasslm.js"
stage() { # stage NAME OUTPUT COMMAND...: runs COMMAND unless OUTPUT exists, and prints its time
  name=$1; out=$2; shift 2
  if [ -e "$out" ]; then echo "== $name: $out exists, skipped"; return; fi
  echo "== $name"; t0=$(date +%s)
  "$@"
  echo "== $name: $(( $(date +%s) - t0 )) s"
}
json() { # json FILE COMMAND...: the command's last line of output, saved
  f=$1; shift; "$@" | tail -1 > "$f.tmp" && mv "$f.tmp" "$f" && cat "$f"
}

stage data "$R/data/train.jsonl" node dist/bench/story-assistant.js data --out "$R/data"

SFT="--data $R/data/train.jsonl --template plain --batch-size 8 --context 256 --warmup 20 --eval-interval 100 --checkpoint-interval 100 --val-fraction 0.02"
stage "sft (LoRA)" "$R/lora/adapter_model.safetensors" $G sft $SFT --out "$R/lora" --lora --lora-rank 16 --lora-alpha 32 \
  --lora-dropout 0 --lora-targets all-linear --steps ${SFT_STEPS:-500} --lr 2e-3 --min-lr 2e-4
stage "sft (full)" "$R/full/model.safetensors" $G sft $SFT --out "$R/full" --steps ${SFT_STEPS:-500} --lr 5e-4 --min-lr 5e-5

H="--heldout $R/data/heldout.jsonl --n ${EVAL_N:-30} --max-tokens 160"
stage "measure base" "$R/base.json" json "$R/base.json" node dist/bench/story-assistant.js eval $H
stage "measure LoRA" "$R/sft-lora.json" json "$R/sft-lora.json" node dist/bench/story-assistant.js eval $H --lora "$R/lora"
stage "measure full" "$R/sft-full.json" json "$R/sft-full.json" node dist/bench/story-assistant.js eval $H --model "$R/full"

# the story assistant that glasslm chat uses by default: the adapter (and its chat template)
if [ -z "$NO_SHIP" ]; then
  mkdir -p models/story-assistant
  cp "$R/lora/adapter_model.safetensors" "$R/lora/tokenizer_config.json" "$R/lora/loss.svg" models/story-assistant/
  # the base named by its place in the project, not this machine's path
  sed 's#"base_model_name_or_path": "[^"]*"#"base_model_name_or_path": "models/builtin"#' "$R/lora/adapter_config.json" > models/story-assistant/adapter_config.json
fi

# the assistant (base + adapter) merged into one model: the policy and the frozen reference below
stage merge "$R/sft/model.safetensors" $G merge --lora "$R/lora" --out "$R/sft"
pairs() { # two processes (one per core), each sampling half of the training instructions
  n=${PAIRS:-2026}; half=$(( (n + 1) / 2 ))
  S="node dist/bench/story-preferences.js pairs --data $R/data/train.jsonl --model $R/sft"
  $S --from 0 --n $half --out "$R/prefs/part1" & p1=$!
  $S --from $half --n $(( n - half )) --out "$R/prefs/part2" & p2=$!
  wait $p1; wait $p2
  cat "$R/prefs/part1/prompts.jsonl" "$R/prefs/part2/prompts.jsonl" > "$R/prefs/prompts.jsonl"
  cat "$R/prefs/part1/pairs.jsonl" "$R/prefs/part2/pairs.jsonl" > "$R/prefs/pairs.jsonl"
}
stage pairs "$R/prefs/pairs.jsonl" pairs

P="--data $R/prefs/pairs.jsonl --model $R/sft --context 256 --eval-interval 25 --checkpoint-interval 25"
stage "reward model" "$R/rm/model.safetensors" $G reward $P --out "$R/rm" --steps ${RM_STEPS:-150} --batch-size 8 --lr 1e-4 --warmup 10
stage dpo "$R/dpo/adapter_model.safetensors" $G dpo $P --template plain --out "$R/dpo" --lora --lora-rank 16 --lora-alpha 32 \
  --lora-dropout 0 --lora-targets all-linear --loss sigmoid --beta 0.1 --steps ${DPO_STEPS:-150} --batch-size 8 --lr 1e-3 --warmup 10
stage grpo "$R/grpo/adapter_model.safetensors" $G rl --prompts "$R/prefs/prompts.jsonl" --reward-model "$R/rm" --model "$R/sft" \
  --template plain --out "$R/grpo" --lora --lora-rank 16 --lora-alpha 32 --lora-dropout 0 --lora-targets all-linear \
  --group 4 --max-tokens 160 --temperature 1 --kl 0.04 --steps ${GRPO_STEPS:-60} --batch-size 4 --lr 1e-3 --warmup 5 \
  --context 256 --eval-interval 20 --checkpoint-interval 20

M="--heldout $R/data/heldout.jsonl --model $R/sft --reference $R/sft --reward-model $R/rm --n ${MEASURE_N:-40} --samples 2"
stage "measure SFT" "$R/pref-sft.json" json "$R/pref-sft.json" node dist/bench/story-preferences.js measure $M --label sft
stage "measure DPO" "$R/pref-dpo.json" json "$R/pref-dpo.json" node dist/bench/story-preferences.js measure $M --lora "$R/dpo" --label dpo
stage "measure GRPO" "$R/pref-grpo.json" json "$R/pref-grpo.json" node dist/bench/story-preferences.js measure $M --lora "$R/grpo" --label grpo
