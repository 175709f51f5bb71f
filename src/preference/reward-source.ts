// Where GRPO's rewards come from: a trained reward model, or a function the user writes
// ((prompt, completion) => number). A function that throws or returns anything but a finite
// number stops training with an error naming it.

import { noGrad, tidy } from '../tensor/engine.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { encodeExample } from './logprobs.js';
import type { RewardModel } from './reward-model.js';

export interface RewardSource {
  /** For messages: "reward model runs/rm", "reward function judge.mjs". */
  readonly name: string;
  score(items: readonly { prompt: string; completion: string }[]): number[];
}

export type RewardFunction = (prompt: string, completion: string) => unknown;

/** A user's reward function, each result checked. */
export function rewardFromFunction(fn: unknown, name: string): RewardSource {
  if (typeof fn !== 'function') throw new Error(`reward function ${name}: its default export must be a function (prompt, completion) => number, got ${fn === null ? 'null' : typeof fn}`);
  return {
    name: `reward function ${name}`,
    score(items) {
      return items.map(({ prompt, completion }) => {
        let r: unknown;
        try {
          r = (fn as RewardFunction)(prompt, completion);
        } catch (err) {
          throw new Error(`reward function ${name} threw on completion ${JSON.stringify(completion.slice(0, 60))}: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (typeof r !== 'number' || !Number.isFinite(r)) {
          const what = r instanceof Promise ? 'a Promise (it must return a number, not be async)' : typeof r === 'number' ? String(r) : `${r === null ? 'null' : typeof r} ${JSON.stringify(r)?.slice(0, 40) ?? ''}`.trim();
          throw new Error(`reward function ${name} returned ${what} for completion ${JSON.stringify(completion.slice(0, 60))}; it must return a finite number`);
        }
        return r;
      });
    },
  };
}

/** A trained reward model scoring prompt + completion. */
export function rewardFromModel(rm: RewardModel, tokenizer: Tokenizer, name: string, batchSize = 8): RewardSource {
  return {
    name: `reward model ${name}`,
    score(items) {
      const out: number[] = [];
      noGrad(() => {
        for (let i = 0; i < items.length; i += batchSize) {
          const part = items.slice(i, i + batchSize).map((it) => encodeExample(tokenizer, it.prompt, it.completion, { maxLength: rm.body.contextLength }));
          out.push(...tidy(() => rm.rewards(part).toArray()));
        }
      });
      return out;
    },
  };
}
