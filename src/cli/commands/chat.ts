// `glasslm chat`: a conversation in the terminal, the reply streamed as it is generated.

import { createInterface } from 'node:readline';
import { templateStopStrings } from '../../chat/default.js';
import { resolveChatTemplate } from '../../chat/load.js';
import { ChatSession } from '../../chat/session.js';
import { parseLoraSpec } from '../../lora/files.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_OPTIONS, STORY_ASSISTANT_DIR, loadModelAndTokenizer, numberOption, seedOption } from '../model-args.js';
import { parseCommand } from '../parse.js';

export const summary = 'chat in the terminal (chat template, streaming, history, system prompt)';

const HELP = `usage: glasslm chat [options]      (type a message and Enter; /reset clears the history, /exit or Ctrl-D quits)

  --model M          model folder, .gguf or llama2.c .bin (default: the built-in story assistant,
                     the built-in model with the adapter in models/story-assistant)
  --base             with no --model: the built-in base model alone, without the assistant adapter
  --tokenizer T      tokenizer file or folder (default: the model's own)
  --lora DIR[:S]     apply a LoRA adapter (PEFT folder), its scale times S (default 1)
  --dtype q8_0|f32   run the matrices as int8 or float32
  --template T       auto (the adapter's, else the model's own, else ChatML when the vocabulary has
                     <|im_start|>, else plain User:/Assistant: text), chatml, plain, or a file/folder
  --system TEXT      a system prompt, kept when old turns are dropped
  --max-tokens N     most tokens per reply (default 256)
  --temperature X    0 = greedy (default 0.7); --top-k K, --top-p P, --seed S as in generate

The context window's fill is shown after every reply. When a new message would not fit with room
for a reply, the oldest turns (a message and its reply) are dropped, and the chat says so.`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    ...MODEL_OPTIONS, template: { type: 'string' }, system: { type: 'string' }, 'max-tokens': { type: 'string' },
    temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' }, seed: { type: 'string' }, base: { type: 'boolean' },
  }, HELP, { positionals: false });
  if (!parsed) return 0;
  const v = parsed.values;
  if (v.base && v.model !== undefined) throw new Error('--base means the built-in base model: leave out --model');
  // the built-in story assistant, unless a model or an adapter is named
  if (!v.base && v.model === undefined && v.lora === undefined && existsSync(join(STORY_ASSISTANT_DIR, 'adapter_config.json'))) v.lora = STORY_ASSISTANT_DIR;
  const { model, tokenizer, modelPath } = loadModelAndTokenizer(v, { decode: true });
  const { template, source } = resolveChatTemplate({ choice: v.template, adapterDir: v.lora ? parseLoraSpec(v.lora).dir : undefined, modelPath, tokenizer });
  const session = new ChatSession(model, tokenizer, template, {
    system: v.system,
    maxTokens: numberOption('max-tokens', v['max-tokens'], 256),
    temperature: numberOption('temperature', v.temperature, 0.7),
    topK: numberOption('top-k', v['top-k'], 0),
    topP: numberOption('top-p', v['top-p'], 1),
    seed: v.seed === undefined ? undefined : seedOption(v.seed, 0),
    stopStrings: templateStopStrings(template),
  });
  const tty = process.stdin.isTTY === true;
  console.error(`${v.lora === STORY_ASSISTANT_DIR ? 'the built-in story assistant; ' : ''}chat template: ${source}; context window ${model.contextLength} tokens${v.system ? '; system prompt set' : ''}`);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty });
  const ask = () => { if (tty) rl.setPrompt('you> '), rl.prompt(); };
  ask();
  for await (const line of rl) {
    const text = line.trim();
    if (text === '/exit') break;
    if (text === '/reset') {
      session.history.length = 0;
      console.error('[history cleared]');
      ask();
      continue;
    }
    if (text === '') {
      ask();
      continue;
    }
    process.stdout.write('assistant> ');
    try {
      const turn = session.send(text, (t) => process.stdout.write(t));
      process.stdout.write('\n');
      if (turn.dropped > 0) console.error(`[the context window was full: dropped the ${turn.dropped} oldest turn${turn.dropped > 1 ? 's' : ''}]`);
      const why = turn.stopReason === 'max_tokens' ? ', reply cut at --max-tokens' : turn.stopReason === 'context_full' ? ', reply cut: window full' : '';
      console.error(`[context ${turn.used}/${turn.window} tokens (${Math.round((100 * turn.used) / turn.window)}%)${why}]`);
    } catch (e) {
      process.stdout.write('\n');
      console.error(`[${(e as Error).message}]`);
    }
    ask();
  }
  rl.close();
  return 0;
}
