// The policy being tuned and its frozen reference, for DPO and GRPO alike, and their checkpoints.
//   full fine-tuning: the policy is base.model (or, on resume, the checkpoint's weights) and the
//     reference a frozen copy of the starting weights;
//   LoRA: the policy is base.model plus an adapter, the reference the same weights with the
//     adapter switched off (one copy held). The adapter is saved in PEFT's layout.
// src/train's checkpoint files and state carry everything; the training state is written last.

import { join } from 'node:path';
import { type LoraAdapter, type LoraConfig, createLora } from '../lora/adapter.js';
import { peftFiles } from '../lora/peft.js';
import { modelFromTensors } from '../models/load.js';
import type { Model } from '../models/model.js';
import * as op from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { type LoadedState, type Moments, STATE_FILE, type TrainState, trainStateBytes } from '../train/checkpoint.js';
import { saveCheckpoint, writeCheckpointFiles } from '../train/checkpoint-file.js';
import type { BaseModel } from './dpo-run.js';
import { AdapterOffReference, CopyReference, type Reference, frozenCopy } from './reference.js';

export interface PolicySetup {
  policy: Model;
  reference: Reference;
  adapter: LoraAdapter | null;
  lora: LoraConfig | undefined;
  /** What the optimizer updates: the adapter's tensors, or every weight. */
  trainable: ReadonlyMap<string, Tensor>;
}

/** Builds policy and reference from base (which it takes ownership of), restoring a checkpoint's weights when given. */
export function setupPolicy(base: BaseModel, lora: LoraConfig | undefined, loaded: LoadedState | null, seed: number, where: string): PolicySetup {
  if (lora) {
    const policy = base.model;
    const adapter = createLora(policy.config, lora, new op.Rng(seed));
    if (loaded) {
      for (const [name, t] of adapter.params()) {
        const p = loaded.params.get(name);
        if (!p || p.data.length !== t.size) throw new Error(`${join(where, STATE_FILE)}: no matching '${name}'`);
        t.floats().set(p.data);
      }
      adapter.rngState = (loaded.state.extra?.dropoutRng as number[]) ?? adapter.rngState;
    }
    policy.adapter = adapter;
    adapter.training = true;
    policy.setTrainable(false);
    return { policy, reference: new AdapterOffReference(policy), adapter, lora, trainable: adapter.params() };
  }
  const reference = new CopyReference(loaded ? base.model : frozenCopy(base.model));
  const policy = loaded ? modelFromTensors(loaded.state.config, loaded.params.values()) : base.model;
  return { policy, reference, adapter: null, lora, trainable: policy.params };
}

/** Writes the checkpoint: the model files (or the adapter's) and the training state. */
export function savePolicyCheckpoint(dir: string, setup: PolicySetup, base: BaseModel, moments: Moments, state: TrainState & { basePath: string }): void {
  const { adapter, policy, lora } = setup;
  if (adapter) {
    const withAdapter = { ...state, extra: { ...state.extra, lora, dropoutRng: adapter.rngState } };
    writeCheckpointFiles(dir, new Map([...peftFiles(adapter, policy.config, base.path), [STATE_FILE, trainStateBytes(adapter.params() as never, moments, withAdapter)]]), state.step);
  } else {
    saveCheckpoint(dir, policy, base.tokenizer, moments, state);
  }
}
