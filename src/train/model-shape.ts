// A model's shape as a training job states it (an `arch` some family trains, layers, heads, width,
// context), and the full config it stands for: the family builds it.

import type { ModelConfig } from '../models/config.js';
import { familyForTraining } from '../models/families/index.js';
import type { TrainShape } from '../models/family.js';

/** The model a training run builds: an `arch` some family trains, and its sizes. */
export type ModelShape = TrainShape;

/** The config of a new model of this shape over a vocabulary of vocabSize tokens. */
export function modelConfigFor(shape: ModelShape, vocabSize: number): ModelConfig {
  const { heads, dim } = shape;
  if (dim % heads !== 0) throw new Error(`width ${dim} is not divisible by ${heads} heads`);
  if (shape.bias !== undefined && typeof shape.bias !== 'boolean') throw new Error(`model bias must be true or false, got ${JSON.stringify(shape.bias)}`);
  return familyForTraining(shape.arch).configForTraining(shape, vocabSize) as ModelConfig;
}
