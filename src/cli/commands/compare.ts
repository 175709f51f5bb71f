// `glasslm compare`: the same prompts through two models (or a base with and without an adapter):
// answers side by side, per-token log-probability differences, logit-lens grids side by side.

import { readFileSync } from 'node:fs';
import { loadLora, parseLoraSpec } from '../../lora/files.js';
import { type ModelSide, compareModels } from '../../preference/compare.js';
import { parsePromptData } from '../../preference/data.js';
import { promptText } from '../../preference/logprobs.js';
import { intOption, loadModelAndTokenizer } from '../model-args.js';
import { parseCommand } from '../parse.js';

export const summary = 'compare two checkpoints (or base vs adapter) on the same prompts: answers, log-prob differences, logit lens';

const HELP = `usage: glasslm compare --a M [--b M2 | --lora DIR[:S]] (--prompt TEXT … | --prompts FILE) [--max-tokens N] [--k K] [--json]

--a M          the "before" model (default the built-in model)   --tokenizer T
--b M2         the "after" model (same vocabulary), or
--lora DIR     the "after" side is --a with this adapter (the "before" side runs without it)
--prompt TEXT  a prompt (repeat for several); --prompts FILE: JSONL/JSON of {prompt} or Alpaca records
--max-tokens N greedy answer length (default 32)   --k K  tokens per lens cell (default 3)
--json         everything as JSON: answers, per-token log p under both, both lens grids`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    a: { type: 'string' }, b: { type: 'string' }, lora: { type: 'string' }, tokenizer: { type: 'string' }, prompt: { type: 'string', multiple: true }, prompts: { type: 'string' },
    'max-tokens': { type: 'string' }, k: { type: 'string' }, json: { type: 'boolean' },
  }, HELP, { positionals: false });
  if (!parsed) return 0;
  const v = parsed.values;
  if (v.b && v.lora) throw new Error('give one "after" side: --b MODEL or --lora DIR, not both');
  if (!v.b && !v.lora) throw new Error('give the "after" side: --b MODEL or --lora DIR');
  const maxTokens = intOption('max-tokens', v['max-tokens'], 32, 1, 4096), k = intOption('k', v.k, 3, 1, 50);
  const prompts = [...(v.prompt ?? [])];
  if (v.prompts) prompts.push(...parsePromptData(readFileSync(v.prompts, 'utf8'), v.prompts).map((r) => promptText(r.prompt)));
  if (prompts.length === 0) throw new Error('give at least one --prompt TEXT or --prompts FILE');
  const a = loadModelAndTokenizer({ model: v.a, tokenizer: v.tokenizer });
  let A: ModelSide, B: ModelSide;
  if (v.lora) {
    const spec = parseLoraSpec(v.lora);
    const adapter = loadLora(spec.dir, a.model.config);
    adapter.multiplier = spec.multiplier;
    A = { name: a.modelPath, model: a.model, adapter: null };
    B = { name: `${a.modelPath} + ${v.lora}`, model: a.model, adapter };
  } else {
    const b = loadModelAndTokenizer({ model: v.b, tokenizer: v.tokenizer });
    A = { name: a.modelPath, model: a.model, adapter: null };
    B = { name: b.modelPath, model: b.model, adapter: null };
  }
  const result = compareModels(A, B, a.tokenizer, prompts, { maxTokens, k });
  if (v.json) {
    console.log(JSON.stringify(result));
    return 0;
  }
  console.log(`A: ${result.a}\nB: ${result.b}`);
  for (const p of result.prompts) {
    console.log(`\n=== ${JSON.stringify(p.prompt)}`);
    for (const ans of p.answers) {
      console.log(`${ans.by} answers: ${JSON.stringify(ans.text)}\n   log p under A ${ans.totalA.toFixed(2)}, under B ${ans.totalB.toFixed(2)} (B − A ${(ans.totalB - ans.totalA).toFixed(2)})`);
      const moved = [...ans.tokens].sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff)).slice(0, 5);
      console.log(`   most changed tokens: ${moved.map((t) => `${JSON.stringify(t.token)} ${t.diff >= 0 ? '+' : ''}${t.diff.toFixed(2)}`).join(', ')}`);
    }
    const last = p.lens.ids.length - 1;
    console.log(`logit lens at the last position (top token per layer), A | B:`);
    p.lens.a.layers.forEach((layer, l) => {
      const ca = p.lens.a.cells[l][last], cb = p.lens.b.cells[l][last];
      console.log(`   ${layer.padEnd(26)} ${JSON.stringify(ca.tokens?.[0] ?? ca.ids[0]).padEnd(14)} ${(ca.probs[0] * 100).toFixed(1).padStart(5)}% | ${JSON.stringify(cb.tokens?.[0] ?? cb.ids[0]).padEnd(14)} ${(cb.probs[0] * 100).toFixed(1).padStart(5)}%`);
    });
  }
  return 0;
}
