// `glasslm score`: a reward model's rewards for prompt/answer pairs, or for a preference file.

import { alpacaPrompt } from '../../preference/data.js';
import { loadPreferenceFile } from '../../preference/data-file.js';
import { tokenizePairs } from '../../preference/dpo-run.js';
import { encodeExample } from '../../preference/logprobs.js';
import { loadRewardModel, pairRankStats, scorePairs } from '../../preference/reward-train.js';
import { noGrad, tidy } from '../../tensor/engine.js';
import { loadTokenizer } from '../../tokenizer/load-file.js';
import { intOption } from '../model-args.js';
import { parseCommand } from '../parse.js';

export const summary = "print a reward model's rewards for prompt/answer pairs (or a preference file's pairs)";

const HELP = `usage: glasslm score --model DIR (--prompt TEXT | --instruction TEXT [--input TEXT]) --answer TEXT [--answer TEXT …] [--json]
       glasslm score --model DIR --data FILE [--limit N] [--json]

--model DIR    a reward model trained by glasslm reward (its tokenizer.json is used unless --tokenizer)
--prompt       the prompt as the model sees it; --instruction/--input wrap it in the Alpaca template
--answer       an answer to score (repeat for several)
--data FILE    preference pairs: the reward of each chosen and rejected answer, and the pair accuracy
--limit N      with --data: only the first N pairs`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, prompt: { type: 'string' }, instruction: { type: 'string' }, input: { type: 'string' },
    answer: { type: 'string', multiple: true }, data: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' },
  }, HELP, { positionals: false });
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.model) throw new Error('--model DIR (a reward model) is required');
  if (v.limit !== undefined && !v.data) throw new Error('--limit goes with --data');
  const limit = v.limit === undefined ? undefined : intOption('limit', v.limit, 1, 1); // before loading the model
  const rm = loadRewardModel(v.model);
  const tokenizer = loadTokenizer(v.tokenizer ?? v.model);
  const maxLength = rm.body.contextLength;
  if (v.data) {
    const all = loadPreferenceFile(v.data);
    const pairs = all.slice(0, limit);
    const { chosen, rejected } = scorePairs(rm, tokenizePairs(pairs, tokenizer, maxLength), 8);
    const stats = pairRankStats(chosen, rejected);
    if (v.json) console.log(JSON.stringify({ pairs: pairs.map((p, i) => ({ line: p.source.line, chosen: chosen[i], rejected: rejected[i] })), ...stats }));
    else {
      pairs.forEach((p, i) => console.log(`${p.source.file}:${p.source.line}  chosen ${chosen[i].toFixed(4)}  rejected ${rejected[i].toFixed(4)}  ${chosen[i] > rejected[i] ? 'right' : 'WRONG'}`));
      console.log(`${pairs.length} pairs: accuracy ${(100 * stats.accuracy).toFixed(1)}%, mean margin ${stats.margin.toFixed(4)}, Bradley–Terry loss ${stats.loss.toFixed(4)}`);
    }
    return 0;
  }
  if (v.prompt !== undefined && v.instruction !== undefined) throw new Error('give --prompt or --instruction, not both');
  const prompt = v.instruction !== undefined ? alpacaPrompt(v.instruction, v.input) : v.prompt;
  if (prompt === undefined) throw new Error('--prompt TEXT (or --instruction TEXT) is required, or --data FILE');
  const answers = v.answer ?? [];
  if (answers.length === 0) throw new Error('--answer TEXT is required (repeat it to score several)');
  const rewards = noGrad(() => tidy(() => rm.rewards(answers.map((a) => encodeExample(tokenizer, prompt, a, { maxLength }))).toArray()));
  if (v.json) console.log(JSON.stringify({ prompt, answers: answers.map((a, i) => ({ answer: a, reward: rewards[i] })) }));
  else answers.forEach((a, i) => console.log(`${rewards[i].toFixed(4)}  ${JSON.stringify(a)}`));
  return 0;
}
