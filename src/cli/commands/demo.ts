// `glasslm demo` (npm start): the built-in model tells a story, then explains what happened.

import { generateText } from '../../generate/generate.js';
import { MODEL_OPTIONS, intOption, loadModelAndTokenizer, numberOption, refuseSpecialText, seedOption } from '../model-args.js';
import { parseCommand } from '../parse.js';
import { encodePrompt } from '../../inspect/prompt.js';

export const summary = 'the main job: the built-in model continues a prompt, then shows its tokens and probabilities';

function show(piece: string): string {
  return JSON.stringify(piece).slice(1, -1);
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { ...MODEL_OPTIONS, 'max-tokens': { type: 'string' }, seed: { type: 'string' }, 'allow-special': { type: 'boolean' } },
    'usage: glasslm demo [PROMPT] [--model M] [--tokenizer T] [--max-tokens N] [--seed S] [--allow-special (encode <|endoftext|> text as that token)]');
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const prompt = positionals.length > 0 ? positionals.join(' ') : 'Once upon a time';
  const maxTokens = intOption('max-tokens', values['max-tokens'], 120, 0), seed = seedOption(values.seed, 42);
  const { model, tokenizer, modelPath } = loadModelAndTokenizer(values, { decode: true });
  refuseSpecialText(tokenizer, prompt, values['allow-special']);
  const c = model.config;
  const promptLength = encodePrompt(tokenizer, prompt, true, values['allow-special']).length;
  if (promptLength >= c.contextLength) throw new Error(`the prompt is ${promptLength} tokens; this model's context window is ${c.contextLength} tokens, with room for at least one new token: give a shorter prompt`);
  console.log(`glasslm demo: ${c.arch} model from ${modelPath}, ${(model.numParameters / 1e6).toFixed(2)}M parameters, ${c.layers} layers, ${c.heads} heads, width ${c.dim}, context ${c.contextLength}; tokenizer: ${tokenizer.description}\n`);
  const t0 = performance.now();
  process.stdout.write(process.stdout.isTTY ? `\x1b[1m${prompt}\x1b[0m` : prompt);
  const result = generateText(model, tokenizer, prompt, {
    maxTokens, temperature: 0.8, topK: 40, seed, allowSpecial: values['allow-special'] ?? false,
  }, (e) => process.stdout.write(e.text));
  const seconds = (performance.now() - t0) / 1000;
  console.log('\n');
  const n = result.tokens.length;
  console.log(`What happened: the prompt became ${result.promptIds.length} tokens:`);
  const name = (id: number) => show(tokenizer.decode([id]) || (tokenizer.idToToken(id) ?? `#${id}`));
  console.log('  ' + result.promptIds.map((id) => `[${name(id)}]${id}`).join(' '));
  console.log(`then the model produced ${n} tokens one at a time (${(n / seconds).toFixed(1)} tokens/s, KV cache, temperature 0.8, top-k 40), stopping because of ${result.stopReason.replace('_', ' ')}.`);
  const probs = result.tokens.map((t) => t.prob);
  const mean = probs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  console.log(`The model's probability of each chosen token averaged ${(100 * mean).toFixed(1)}%. The first ten:`);
  for (const t of result.tokens.slice(0, 10)) {
    const bar = '█'.repeat(Math.round(t.prob * 20)).padEnd(20, '·');
    console.log(`  ${bar} ${(100 * t.prob).toFixed(1).padStart(5)}%  ${show(tokenizer.decode([t.id]))}`);
  }
  const surprising = [...result.tokens].sort((a, b) => a.prob - b.prob).slice(0, 3);
  console.log(`The least likely choices (where sampling took a chance): ${surprising.map((t) => `"${show(tokenizer.decode([t.id]))}" ${(100 * t.prob).toFixed(1)}%`).join(', ')}.`);
  console.log('\nLook inside with: glasslm lens "Once upon a time" · glasslm attention … · glasslm attribute … (see README)');
  return 0;
}
