// The chat session: history rendered with the template every turn, the reply ends at the
// template's end-of-turn token, and when the window fills the oldest turns go (the system stays).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './shared.js';
import { ChatSession, addChatTokens, defaultChatTemplate } from '../src/chat/index.js';
import { Model } from '../src/models/model.js';
import { configFromHf } from '../src/models/config.js';
import * as op from '../src/ops/index.js';
import { loadTokenizer } from '../src/tokenizer/load-file.js';

test('a full window drops the oldest turns (the latest message stays); replies stop at <|im_end|>; an oversized message is refused', () => {
  const base = loadTokenizer(join(projectRoot, 'models', 'builtin', 'tokenizer.json'));
  const config = configFromHf({ model_type: 'llama', vocab_size: base.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 96 });
  const { model, tokenizer } = addChatTokens(Model.init(config, new op.Rng(1)), base);
  const imEnd = tokenizer.specialTokens.get('<|im_end|>')!;
  const session = new ChatSession(model, tokenizer, defaultChatTemplate(), { system: 'Be brief.', maxTokens: 6, temperature: 0 });
  const message = 'Once upon a time there was a little dog who liked to run in the park with his friends every day';
  let dropped = 0;
  for (let i = 0; i < 4; i++) {
    const turn = session.send(message);
    dropped += turn.dropped;
    assert.ok(turn.used <= turn.window, 'never past the window');
    assert.ok(turn.promptTokens + Math.min(6, 96 / 4) <= 96 || session.history.length === 2, 'room kept for a reply');
  }
  assert.ok(dropped > 0, 'old turns were dropped');
  assert.ok(session.history.length < 8, `history shrank to ${session.history.length / 2} turns`);
  assert.equal(session.history[session.history.length - 2].content, message);
  // replies stop at the template's end of turn
  const fresh = new ChatSession(model, tokenizer, defaultChatTemplate(), { maxTokens: 6, temperature: 0 });
  assert.ok((fresh as unknown as { stopIds: number[] }).stopIds.includes(imEnd));
  assert.throws(() => fresh.send('x'.repeat(2000)), /this message needs \d+ tokens with the template; the context window holds 96/);
});

test('glasslm chat reads messages from stdin, streams replies and shows the context fill', () => {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'chat', '--backend', 'cpu', '--max-tokens', '5', '--temperature', '0', '--system', 'Tell stories.'], { input: 'Hello\n/reset\nTell me about a cat\n', encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // by default the built-in story assistant: the base model with the adapter in models/story-assistant
  assert.match(r.stderr, /the built-in story assistant; chat template: the adapter's own/);
  assert.match(r.stderr, /\[history cleared\]/);
  assert.equal((r.stdout.match(/assistant> /g) ?? []).length, 2);
  assert.match(r.stderr, /\[context \d+\/256 tokens \(\d+%\)/);
});

test('glasslm chat --base talks to the base model alone, with the plain template', () => {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'chat', '--base', '--backend', 'cpu', '--max-tokens', '3', '--temperature', '0'], { input: 'Hello\n', encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /story assistant/);
  assert.match(r.stderr, /chat template: plain text/);
  const bad = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), 'chat', '--base', '--model', 'x'], { input: '', encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--base means the built-in base model/);
});
