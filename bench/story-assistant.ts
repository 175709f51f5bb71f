// The story assistant: instructions made from TinyStories (src/sft/stories.ts), and its
// measurement on held-out stories (the fraction of requested words the story uses, and the
// accuracy of "who is this story about?" answers), for a base model prompted the same way and for
// a fine-tuned one. Training itself is `glasslm sft` (see docs/finetuning.md).
//   node dist/bench/story-assistant.js data --out runs/story-data
//   node dist/bench/story-assistant.js eval --heldout runs/story-data/heldout.jsonl [--model M] [--lora DIR] [--n 20]

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { plainChatTemplate, templateStopStrings } from '../src/chat/default.js';
import { resolveChatTemplate } from '../src/chat/load.js';
import { ChatSession } from '../src/chat/session.js';
import { attachLora, parseLoraSpec } from '../src/lora/files.js';
import { loadModel } from '../src/models/load-file.js';
import * as op from '../src/ops/index.js';
import { answersWho, splitStories, storyTasks, wordsUsed, type StoryTask } from '../src/sft/stories.js';
import { loadTokenizer } from '../src/tokenizer/load-file.js';
import { selectBackend } from '../src/backend/select.js';
import { setBackend } from '../src/tensor/engine.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = process.env.GLASSLM_SHARED ?? join(root, '..', 'shared');
const [action, ...rest] = process.argv.slice(2);
const { values } = parseArgs({ args: rest, options: {
  out: { type: 'string' }, heldout: { type: 'string' }, model: { type: 'string' }, lora: { type: 'string' }, n: { type: 'string', default: '20' },
  'heldout-fraction': { type: 'string', default: '0.05' }, 'max-tokens': { type: 'string', default: '200' }, 'max-story-tokens': { type: 'string', default: '190' },
} });
const builtin = join(root, 'models', 'builtin');

if (action === 'data') {
  if (!values.out) throw new Error('--out DIR is required');
  const tok = loadTokenizer(builtin);
  const rng = new op.Rng(1234);
  const train: StoryTask[] = [], heldout: StoryTask[] = [];
  const maxTokens = Number(values['max-story-tokens']);
  for (const file of ['tinystories-2MiB.txt', 'tinystories-v2-gpt4-1.4MB.txt']) {
    const stories = splitStories(readFileSync(join(shared, 'data', 'corpora', file), 'utf8')).filter((s) => tok.encode(s).length <= maxTokens);
    const cut = Math.floor(stories.length * (1 - Number(values['heldout-fraction']))); // the last stories of each file are held out
    stories.forEach((s, i) => (i < cut ? train : heldout).push(...storyTasks(s, rng)));
    console.error(`${file}: ${stories.length} stories of ≤ ${maxTokens} tokens, ${stories.length - cut} held out`);
  }
  for (let i = train.length - 1; i > 0; i--) { const j = rng.int(i + 1); [train[i], train[j]] = [train[j], train[i]]; }
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'train.jsonl'), train.map((t) => JSON.stringify({ messages: t.messages })).join('\n') + '\n');
  writeFileSync(join(values.out, 'heldout.jsonl'), heldout.map((t) => JSON.stringify(t)).join('\n') + '\n');
  const count = (ts: StoryTask[], k: string) => ts.filter((t) => t.kind === k).length;
  console.log(JSON.stringify({ train: train.length, heldout: heldout.length, trainByKind: { words: count(train, 'words'), about: count(train, 'about'), who: count(train, 'who') }, heldoutByKind: { words: count(heldout, 'words'), about: count(heldout, 'about'), who: count(heldout, 'who') } }));
} else if (action === 'eval') {
  if (!values.heldout) throw new Error('--heldout FILE is required');
  setBackend((await selectBackend('auto')).backend);
  const modelPath = values.model ?? builtin;
  const model = loadModel(modelPath);
  const tok = loadTokenizer(modelPath);
  if (values.lora) attachLora(model, values.lora);
  const { template, source } = values.lora || values.model
    ? resolveChatTemplate({ adapterDir: values.lora ? parseLoraSpec(values.lora).dir : undefined, modelPath, tokenizer: tok })
    : { template: plainChatTemplate('<|endoftext|>'), source: 'plain (base model prompted the same way)' };
  const tasks = readFileSync(values.heldout, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StoryTask);
  const n = Number(values.n);
  const t0 = performance.now();
  const stop = templateStopStrings(template);
  const ask = (content: string, maxTokens: number) => new ChatSession(model, tok, template, { temperature: 0, maxTokens, stopStrings: stop }).send(content).reply;
  const wordTasks = tasks.filter((t) => t.kind === 'words').slice(0, n);
  const fractions = wordTasks.map((t) => wordsUsed(ask(t.messages[0].content, Number(values['max-tokens'])), t.words!));
  const whoTasks = tasks.filter((t) => t.kind === 'who').slice(0, n);
  const whoRight = whoTasks.filter((t) => answersWho(ask(t.messages[0].content, 8), t.name!)).length;
  const example = ask(wordTasks[0].messages[0].content, Number(values['max-tokens']));
  console.log(JSON.stringify({
    model: modelPath, lora: values.lora ?? null, template: source,
    requestedWordFraction: +(fractions.reduce((a, b) => a + b, 0) / fractions.length).toFixed(3), wordTasks: fractions.length,
    whoAccuracy: +(whoRight / whoTasks.length).toFixed(3), whoTasks: whoTasks.length,
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    example: { prompt: wordTasks[0].messages[0].content, reply: example.slice(0, 300) },
  }));
  process.exit(0); // the kernel worker threads would keep the process alive
} else {
  console.error('usage: story-assistant.js data --out DIR | eval --heldout FILE [--model M] [--lora DIR] [--n 20]');
  process.exit(2);
}
