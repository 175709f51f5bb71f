// The shipped story assistant (models/story-assistant: a LoRA adapter over the built-in model, made
// by scripts/story-assistant.sh) against its peer, the base model prompted with the same template,
// on stories neither saw in training (each file's held-out tail): "Who is this story about?" is
// answered from the story, the name checked against the story's "named X".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadChatTemplate } from '../src/chat/load.js';
import { defaultChatTemplate, plainChatTemplate, templateStopStrings } from '../src/chat/default.js';
import { ChatSession } from '../src/chat/session.js';
import type { ChatTemplate } from '../src/chat/template.js';
import { STORY_ASSISTANT_DIR, loadModelAndTokenizer } from '../src/cli/model-args.js';
import { answersWho, mainCharacter } from '../src/sft/stories.js';
import { firstHeldOutDocument, splitDocuments } from '../src/train/documents.js';
import { generateIds } from '../src/generate/generate.js';
import { ops } from '../src/index.js';
import { noGrad, tidy } from '../src/tensor/engine.js';
import { sharedPath, skipUnlessShared } from './shared.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { setBackend } from '../src/tensor/engine.js';

// the WebAssembly backend as the CLI runs it (one thread: the test runner runs two files at once)
setBackend(await createWasmBackend({ threads: 1, sharedMemory: false }));

const skip = skipUnlessShared('data', 'corpora', 'tinystories-v2-gpt4-1.4MB.txt') || (existsSync(join(STORY_ASSISTANT_DIR, 'adapter_config.json')) ? false : 'models/story-assistant is not there');

test('the story assistant answers "who is this story about?" on held-out stories far better than the base model', { skip }, () => {
  const text = readFileSync(sharedPath('data', 'corpora', 'tinystories-v2-gpt4-1.4MB.txt')!, 'utf8');
  const docs = splitDocuments(text);
  const base = loadModelAndTokenizer({});
  const stories = docs.slice(firstHeldOutDocument(docs, text.length, 0.05))
    .filter((d) => mainCharacter(d.text) !== undefined && base.tokenizer.encode(d.text).length <= 190).slice(0, 10);
  assert.equal(stories.length, 10);
  const right = (model: typeof base.model, template: ChatTemplate) => stories.filter((d) => {
    const reply = new ChatSession(model, base.tokenizer, template, { temperature: 0, maxTokens: 8 }).send(`${d.text}\n\nWho is this story about?`).reply;
    return answersWho(reply, mainCharacter(d.text)!);
  }).length;
  const baseRight = right(base.model, plainChatTemplate('<|endoftext|>'));
  const assistant = loadModelAndTokenizer({ lora: STORY_ASSISTANT_DIR });
  const template = loadChatTemplate(STORY_ASSISTANT_DIR);
  assert.ok(template, 'the adapter carries its chat template');
  const assistantRight = right(assistant.model, template);
  console.log(`"who" on 10 held-out stories: base ${baseRight}/10, story assistant ${assistantRight}/10`);
  assert.ok(assistantRight >= 6 && assistantRight >= baseRight + 4, `assistant ${assistantRight}, base ${baseRight}`);
});

// Generation with an adapter attached must run the adapter at every token (the fused decode step
// has no adapter, so it must not be taken): greedy tokens against a full forward per token.
test('greedy generation with the assistant adapter equals a full forward per token, and differs from the base', { skip: existsSync(join(STORY_ASSISTANT_DIR, 'adapter_config.json')) ? false : 'models/story-assistant is not there' }, () => {
  const { model, tokenizer } = loadModelAndTokenizer({ lora: STORY_ASSISTANT_DIR });
  const prompt = [tokenizer.bos!, ...tokenizer.encode('User: Write a story about Tom.\nAssistant:')];
  const generated = [...generateIds(model, prompt, { temperature: 0, maxTokens: 12 })].map((t) => t.id);
  const byHand: number[] = [];
  noGrad(() => {
    const ids = [...prompt];
    for (let i = 0; i < 12; i++) {
      const logits = tidy(() => model.forward(ops.tensor(Int32Array.from(ids), [1, ids.length])).logits.toArray());
      const V = model.config.vocabSize, row = logits.slice((ids.length - 1) * V, ids.length * V);
      let best = 0;
      for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
      byHand.push(best);
      ids.push(best);
    }
  });
  assert.deepEqual(generated, byHand);
  const base = loadModelAndTokenizer({});
  assert.notDeepEqual([...generateIds(base.model, prompt, { temperature: 0, maxTokens: 12 })].map((t) => t.id), generated, 'the adapter changes the text');
});

test('a reply under the plain template stops at the next "User:" turn, whether the template came built in or from a folder', { skip: existsSync(join(STORY_ASSISTANT_DIR, 'adapter_config.json')) ? false : 'models/story-assistant is not there' }, () => {
  assert.deepEqual(templateStopStrings(loadChatTemplate(STORY_ASSISTANT_DIR)!), ['\nUser:', '\nuser:']);
  assert.deepEqual(templateStopStrings(plainChatTemplate('<|endoftext|>')), ['\nUser:', '\nuser:']);
  assert.deepEqual(templateStopStrings(defaultChatTemplate()), []);
});
