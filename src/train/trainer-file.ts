// The Trainer with folder checkpoints (Node only): save(dir) and Trainer.resume(dir). The same
// files are available as bytes from the browser-safe Trainer (checkpointFiles, fromCheckpoint).

import type { Tokenizer } from '../tokenizer/types.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint-file.js';
import type { TrainOptions } from './options.js';
import { Trainer as BytesTrainer } from './trainer.js';

export class Trainer extends BytesTrainer {
  /** Rebuilds a trainer from dir/train-state.safetensors, continuing exactly where it stopped. */
  static resume(dir: string, data: { train: Int32Array; val: Int32Array }, tokenizer: Tokenizer | null = null, overrides: Partial<TrainOptions> = {}): Trainer {
    return this.fromCheckpoint(loadCheckpoint(dir), data, tokenizer, overrides) as Trainer;
  }

  /** Writes the model files and the training state into dir, each file atomically. */
  save(dir: string): void {
    saveCheckpoint(dir, this.model, this.tokenizer, this.moments(), this.state());
  }
}
