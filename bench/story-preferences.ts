// The preference demonstration on the story assistant (issue: learning from preferences).
// A judge program stands in for human raters: of two stories for "Write a story that uses the
// words: a, b, c.", the one using more of the words is preferred (src/sft/stories.ts judgeStories).
//
//   pairs:   sample the assistant twice per training instruction, let the judge rank the two,
//            write preference pairs (ties dropped) and the prompts for GRPO.
//   measure: fresh samples on held-out instructions: the judge's score (fraction of requested words
//            used), the learned reward, KL to the reference (log π − log π_ref summed over each
//            sample's tokens, averaged), and held-out bits per byte on TinyStories text.
//
//   node dist/bench/story-preferences.js pairs --data runs/story-data/train.jsonl --model M [--lora A] --out DIR [--n 400]
//   node dist/bench/story-preferences.js measure --heldout runs/story-data/heldout.jsonl --model M [--lora A]
//        [--reference M0] [--reward-model RM] [--n 40] [--samples 2]
// scripts/story-assistant.sh runs the whole chain.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/select.js';
import { resolveChatTemplate } from '../src/chat/load.js';
import { chatStopTokens, encodeChat } from '../src/chat/encode.js';
import { generateIds } from '../src/generate/generate.js';
import type { ChatTemplate } from '../src/chat/template.js';
import { attachLora } from '../src/lora/files.js';
import { loadModel } from '../src/models/load-file.js';
import type { Model } from '../src/models/model.js';
import { sequenceLogProbs } from '../src/preference/logprobs.js';
import { rewardFromModel } from '../src/preference/reward-source.js';
import { loadRewardModel } from '../src/preference/reward-train.js';
import { judgeStories, requestedWords, wordsUsed } from '../src/sft/stories.js';
import { noGrad, setBackend, tidy } from '../src/tensor/engine.js';
import { loadTokenizer } from '../src/tokenizer/load-file.js';
import type { Tokenizer } from '../src/tokenizer/types.js';
import { evaluateDocuments } from '../src/train/evaluate-documents.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = process.env.GLASSLM_SHARED ?? join(root, '..', 'shared');
const [action, ...rest] = process.argv.slice(2);
const { values } = parseArgs({ args: rest, options: {
  data: { type: 'string' }, heldout: { type: 'string' }, model: { type: 'string' }, lora: { type: 'string' }, out: { type: 'string' },
  reference: { type: 'string' }, 'reference-lora': { type: 'string' }, 'reward-model': { type: 'string' },
  n: { type: 'string' }, from: { type: 'string', default: '0' }, samples: { type: 'string', default: '2' }, 'max-tokens': { type: 'string', default: '160' },
  temperature: { type: 'string', default: '1' }, seed: { type: 'string', default: '7' }, label: { type: 'string' },
} });

interface Assistant { model: Model; tokenizer: Tokenizer; template: ChatTemplate }

function loadAssistant(modelPath: string, lora: string | undefined): Assistant {
  const model = loadModel(modelPath);
  const tokenizer = loadTokenizer(modelPath);
  if (lora) attachLora(model, lora);
  return { model, tokenizer, template: resolveChatTemplate({ choice: 'plain', modelPath, tokenizer }).template };
}

interface Sample { promptIds: number[]; ids: number[]; text: string }

/**
 * One sampled reply to a single-turn instruction: its token ids (the end-of-turn token included
 * when it came) and their text exactly as generated (the leading space kept, so that the reply
 * re-encodes to the same tokens after the prompt's "Assistant:").
 */
function sample(a: Assistant, instruction: string, seed: number): Sample {
  const promptIds = encodeChat(a.tokenizer, a.template, [{ role: 'user', content: instruction }], { addGenerationPrompt: true });
  const stop = chatStopTokens(a.tokenizer, a.template);
  const ids: number[] = [];
  for (const t of generateIds(a.model, promptIds, { temperature: Number(values.temperature), seed, maxTokens: Number(values['max-tokens']), stopIds: stop })) {
    ids.push(t.id);
    if (stop.includes(t.id)) break;
  }
  return { promptIds, ids, text: a.tokenizer.decode(ids.filter((id) => !stop.includes(id))) };
}

function instructions(file: string): string[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { messages: { role: string; content: string }[] })
    .map((r) => r.messages.find((m) => m.role === 'user')!.content).filter((c) => requestedWords(c) !== undefined);
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const round = (x: number, d = 3) => +x.toFixed(d);

async function main(): Promise<void> {
  setBackend((await selectBackend('auto')).backend);
  const modelPath = values.model ?? join(root, 'models', 'builtin');
  if (action === 'pairs') {
    if (!values.data || !values.out) throw new Error('pairs needs --data FILE and --out DIR');
    const a = loadAssistant(modelPath, values.lora);
    const from = Number(values.from); // a slice of the instructions, so that several processes can share the work
    const todo = instructions(values.data).slice(from, from + Number(values.n ?? 400));
    const pairs: string[] = [], prompts: string[] = [];
    let ties = 0;
    const t0 = performance.now();
    todo.forEach((instruction, i) => {
      const x = sample(a, instruction, 2 * (from + i) + 1).text, y = sample(a, instruction, 2 * (from + i) + 2).text;
      const messages = [{ role: 'user', content: instruction }];
      prompts.push(JSON.stringify({ messages }));
      const verdict = judgeStories(instruction, x, y);
      if (verdict === 0) { ties++; return; }
      const [chosen, rejected] = verdict > 0 ? [x, y] : [y, x];
      pairs.push(JSON.stringify({ messages, chosen, rejected }));
    });
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'pairs.jsonl'), pairs.join('\n') + '\n');
    writeFileSync(join(values.out, 'prompts.jsonl'), prompts.join('\n') + '\n');
    console.log(JSON.stringify({ instructions: todo.length, pairs: pairs.length, ties, seconds: round((performance.now() - t0) / 1000, 1) }));
  } else if (action === 'measure') {
    if (!values.heldout) throw new Error('measure needs --heldout FILE');
    const a = loadAssistant(modelPath, values.lora);
    const todo = instructions(values.heldout).slice(0, Number(values.n ?? 40));
    const k = Number(values.samples);
    const t0 = performance.now();
    const items: { prompt: string; instruction: string; completion: string; sample: Sample }[] = [];
    todo.forEach((instruction, i) => {
      for (let s = 0; s < k; s++) {
        const x = sample(a, instruction, 1000 + k * i + s);
        items.push({ instruction, prompt: a.template.render([{ role: 'user', content: instruction }], { addGenerationPrompt: true }), completion: x.text, sample: x });
      }
    });
    const judge = items.map((it) => wordsUsed(it.completion, requestedWords(it.instruction)!));
    // KL(π ‖ π_ref) on π's own samples: the mean of log π(y) − log π_ref(y) over the completions
    let kl: number | null = null;
    if (values.reference) {
      const ref = loadAssistant(values.reference, values['reference-lora']);
      // the exact sampled tokens under both models
      const logp = (m: Assistant) => noGrad(() => items.map((it) => tidy(() => sequenceLogProbs(m.model, [{ prompt: it.sample.promptIds, completion: it.sample.ids }]).item())));
      const lp = logp(a), lr = logp(ref);
      kl = mean(lp.map((x, i) => x - lr[i]));
    }
    let reward: number | null = null;
    if (values['reward-model']) {
      const rm = loadRewardModel(values['reward-model']);
      reward = mean(rewardFromModel(rm, loadTokenizer(values['reward-model']), values['reward-model']).score(items));
    }
    const bpb = ['tinystories-2MiB.txt', 'tinystories-v2-gpt4-1.4MB.txt'].map((f) =>
      round(evaluateDocuments(a.model, a.tokenizer, readFileSync(join(shared, 'data', 'corpora', f), 'utf8'), a.model.contextLength, 0.05).bitsPerByte, 4));
    console.log(JSON.stringify({
      label: values.label ?? values.lora ?? modelPath, samples: items.length,
      judgeScore: round(mean(judge)), learnedReward: reward === null ? null : round(reward), klToReference: kl === null ? null : round(kl),
      meanLengthChars: Math.round(mean(items.map((it) => it.completion.length))), heldOutBitsPerByte: bpb,
      seconds: round((performance.now() - t0) / 1000, 1),
      examples: items.slice(0, 2).map((it) => ({ instruction: it.instruction, reply: it.completion.trim().slice(0, 400) })),
    }));
  } else {
    console.error('usage: story-preferences.js pairs --data F --out DIR [--model M] [--lora A] | measure --heldout F [--model M] [--lora A] [--reference M0] [--reward-model RM]');
    process.exit(2);
  }
}

await main();
process.exit(0); // the kernel worker threads would keep the process alive
