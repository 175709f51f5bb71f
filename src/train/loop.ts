// The loop every training run shares (pre-training, SFT, DPO, reward models, GRPO): take steps
// until done, keep the running mean of the training loss, evaluate every evalInterval steps and
// after the last one, save every checkpointInterval steps and after the last one. A step that
// throws (a non-finite loss, say) or reports a non-finite loss stops the run with an error that
// says which checkpoint in the folder is kept; nothing is saved after a bad step.
//
//   runLoop({ done: () => t.done, step: () => t.trainStep(), evaluate, save }, { evalInterval, checkpointInterval, out, savedStep });

import type { LossRecord } from './checkpoint.js';

/** What a step reports: at least its number (after the step) and its loss. */
export interface LoopStep {
  step: number;
  loss: number;
}

export interface LoopParts<R extends LoopStep> {
  /** True when the last step has been taken. */
  done(): boolean;
  /** One optimizer step. */
  step(): R;
  /** After a step (progress, logs). */
  onStep?(r: R): void;
  /** At each evaluation: the step and the mean training loss since the previous one. */
  evaluate?(step: number, meanTrainLoss: number): void;
  /** Writes the checkpoint of the step just taken. */
  save(): void;
}

export interface LoopSettings {
  /** Evaluate every this many steps (0: only after the last). */
  evalInterval: number;
  /** Save every this many steps (0: only after the last). */
  checkpointInterval: number;
  /** The run's folder (named in the error when a step fails). */
  out: string;
  /** The step of the checkpoint already in out (a resumed run's), if any. */
  savedStep?: number;
}

/** Runs steps until done (see the top of this file); returns the last step taken, or undefined when none was. */
export function runLoop<R extends LoopStep>(parts: LoopParts<R>, s: LoopSettings): R | undefined {
  let lastSaved = s.savedStep !== undefined && s.savedStep > 0 ? s.savedStep : undefined;
  const stop = (why: string): Error => {
    const kept = lastSaved === undefined ? `no checkpoint was written to ${s.out}` : `the last checkpoint in ${s.out} (step ${lastSaved}) is kept`;
    return new Error(`${why}; ${kept}`);
  };
  let recent: number[] = [];
  let last: R | undefined;
  while (!parts.done()) {
    let r: R;
    try {
      r = parts.step();
    } catch (e) {
      throw stop((e as Error).message);
    }
    if (!Number.isFinite(r.loss)) throw stop(`training stopped at step ${r.step}: the loss became ${r.loss}`);
    last = r;
    recent.push(r.loss);
    parts.onStep?.(r);
    const end = parts.done();
    if (parts.evaluate && ((s.evalInterval > 0 && r.step % s.evalInterval === 0) || end)) {
      parts.evaluate(r.step, recent.reduce((a, b) => a + b, 0) / recent.length);
      recent = [];
    }
    if ((s.checkpointInterval > 0 && r.step % s.checkpointInterval === 0) || end) {
      parts.save();
      lastSaved = r.step;
    }
  }
  return last;
}

/** A trainer judged on held-out data: steps, and a loss history that takes the evaluations. */
export interface HeldOutTrainer<R extends LoopStep> {
  readonly done: boolean;
  trainStep(): R;
  readonly history: LossRecord[];
}

/**
 * runLoop for a trainer with a held-out evaluation: a fresh run evaluates before its first step
 * (the step-0 point of the curve); then at the intervals and at the end, each evaluation's loss
 * goes into the history beside the running training loss. Returns the last evaluation.
 */
export function runHeldOutLoop<R extends LoopStep, E extends { loss: number }>(
  trainer: HeldOutTrainer<R>,
  parts: { evaluate(): E | null; save(): void; onStep?(r: R): void; fresh: boolean },
  s: LoopSettings,
): E | null {
  let final: E | null = null;
  if (parts.fresh) {
    const start = parts.evaluate();
    if (start) trainer.history.push({ step: 0, val: start.loss });
  }
  runLoop({
    done: () => trainer.done,
    step: () => trainer.trainStep(),
    onStep: parts.onStep,
    evaluate: (step, trainLoss) => {
      final = parts.evaluate();
      trainer.history.push({ step, train: trainLoss, ...(final ? { val: final.loss } : {}) });
    },
    save: parts.save,
  }, s);
  return final;
}
