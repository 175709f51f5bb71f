// `glasslm generate`: stream a continuation of a prompt.

import { generateText } from '../../generate/generate.js';
import { checkSamplingOptions } from '../../generate/sampler.js';
import { MODEL_OPTIONS, intOption, loadModelAndTokenizer, numberOption, refuseSpecialText, seedOption } from '../model-args.js';
import { parseCommand } from '../parse.js';

export const summary = 'continue a prompt, streaming tokens (greedy, temperature, top-k, top-p)';

const HELP = `usage: glasslm generate [PROMPT] [options]

  --model M          model folder, .gguf or llama2.c .bin (default: the built-in model)
  --tokenizer T      tokenizer file or folder (default: the model's own)
  --lora DIR[:S]     apply a LoRA adapter (PEFT folder), its scale times S (default 1)
  --dtype q8_0|f32   run the matrices as int8 (GGUF Q8_0 blocks, quantized on load; the default
                     for a GGUF file of Q8_0 matrices, as llama.cpp) or as float32
  --max-tokens N     most new tokens (default 200)
  --temperature X    0 = greedy (default 0.8)
  --top-k K          keep the K most likely tokens (default 0 = all)
  --top-p P          nucleus sampling (default 1 = off)
  --seed S           seed for reproducible sampling
  --stop S           stop when the text contains S (repeatable)
  --truncate         keep the end of a prompt too long for the context window (leaving room for
                     --max-tokens new tokens) instead of failing
  --allow-special    encode special-token text in the prompt (<|endoftext|>) as those tokens
  --json             print {"prompt_ids", "ids", "text", "tokens": [{id, text, prob}], "stop_reason"}`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    ...MODEL_OPTIONS,
    'max-tokens': { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' },
    seed: { type: 'string' }, stop: { type: 'string', multiple: true }, truncate: { type: 'boolean' }, json: { type: 'boolean' }, 'allow-special': { type: 'boolean' },
  }, HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const prompt = positionals.join(' ');
  // every option is checked before the model loads or anything is printed
  const opts = {
    maxTokens: intOption('max-tokens', values['max-tokens'], 200, 0),
    temperature: numberOption('temperature', values.temperature, 0.8),
    topK: numberOption('top-k', values['top-k'], 0),
    topP: numberOption('top-p', values['top-p'], 1),
    seed: values.seed === undefined ? undefined : seedOption(values.seed, 0),
    stop: values.stop,
    truncate: values.truncate ?? false,
    allowSpecial: values['allow-special'] ?? false,
  };
  try {
    checkSamplingOptions(opts);
  } catch (e) {
    throw new Error(`--${(e as Error).message}`); // e.g. --temperature must be a number ≥ 0
  }
  const { model, tokenizer } = loadModelAndTokenizer(values, { decode: true });
  refuseSpecialText(tokenizer, prompt, opts.allowSpecial);
  if (opts.truncate && opts.maxTokens >= model.contextLength) {
    throw new Error(`--max-tokens ${opts.maxTokens} leaves no room for the prompt in the ${model.contextLength}-token context window: ask for fewer than ${model.contextLength}`);
  }
  if (!values.json) process.stdout.write(prompt);
  const pieces: { id: number; text: string; prob: number }[] = [];
  const result = generateText(model, tokenizer, prompt, opts, (e) => {
    if (!values.json) process.stdout.write(e.text);
  });
  if (values.json) {
    for (const t of result.tokens) pieces.push({ id: t.id, text: tokenizer.decode([t.id]), prob: Number(t.prob.toPrecision(6)) });
    console.log(JSON.stringify({ prompt_ids: result.promptIds, ids: result.tokens.map((t) => t.id), text: result.text, tokens: pieces, stop_reason: result.stopReason }));
  } else {
    process.stdout.write('\n');
    if (result.stopReason === 'context_full') console.error(`[stopped: the context window of ${model.contextLength} tokens is full]`);
  }
  return 0;
}
