// Chat templates: fixture templates from real checkpoints render to strings written out by hand
// from their documented prompt formats; the default template's tokens grow a model's vocabulary.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './shared.js';
import {
  ChatTemplate, addChatTokens, assistantSpans, chatStopTokens, chatTemplateFromGguf, chatTemplateFromTokenizerConfig,
  defaultChatTemplate, encodeChat, encodeConversation, type ChatMessage,
} from '../src/chat/index.js';
import { loadChatTemplate } from '../src/chat/load.js';
import { loadTokenizer } from '../src/tokenizer/load-file.js';
import { Model } from '../src/models/model.js';
import { configFromHf } from '../src/models/config.js';
import * as op from '../src/ops/index.js';
import { tidy } from '../src/tensor/engine.js';

const fixtures = join(projectRoot, 'test', 'fixtures', 'chat-templates');
const fixture = (name: string) => loadChatTemplate(join(fixtures, name))!;
const builtinTokenizer = () => loadTokenizer(join(projectRoot, 'models', 'builtin', 'tokenizer.json'));

test('Qwen2: ChatML with the default system prompt when none is given', () => {
  const t = fixture('qwen2');
  assert.equal(t.tokens.eosToken, '<|im_end|>');
  assert.equal(
    t.render([{ role: 'user', content: 'Hello' }], { addGenerationPrompt: true }),
    '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n',
  );
  assert.equal(
    t.render([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }]),
    '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n',
  );
});

test('Llama 3: bos first, headers, content trimmed', () => {
  const t = fixture('llama3');
  assert.equal(
    t.render([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: '  Hi  ' }], { addGenerationPrompt: true }),
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>' +
      '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
  );
  assert.equal(t.render([{ role: 'user', content: 'Hi' }]), '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>');
});

test('Zephyr: newlines after block tags are trimmed, eos closes every turn', () => {
  const t = fixture('zephyr');
  assert.equal(
    t.render([{ role: 'system', content: 'You are a friendly chatbot.' }, { role: 'user', content: 'Hello' }], { addGenerationPrompt: true }),
    '<|system|>\nYou are a friendly chatbot.</s>\n<|user|>\nHello</s>\n<|assistant|>\n',
  );
});

test('Mistral: [INST] turns, bos/eos from AddedToken objects, raise_exception on bad roles', () => {
  const t = fixture('mistral');
  assert.deepEqual(t.tokens, { bosToken: '<s>', eosToken: '</s>' });
  const chat: ChatMessage[] = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'How are you?' }];
  assert.equal(t.render(chat), '<s>[INST] Hi [/INST]Hello</s>[INST] How are you? [/INST]');
  assert.throws(() => t.render([{ role: 'assistant', content: 'x' }]), /Conversation roles must alternate/);
});

test('the default template is ChatML without a system prompt', () => {
  const t = defaultChatTemplate();
  assert.equal(
    t.render([{ role: 'system', content: 'S' }, { role: 'user', content: 'Hi' }], { addGenerationPrompt: true }),
    '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
  );
});

test('template sources: tokenizer_config lists, GGUF metadata, absent templates, bad input', () => {
  const list = chatTemplateFromTokenizerConfig({ chat_template: [{ name: 'default', template: 'A{{ bos_token }}' }, { name: 'tool_use', template: 'B' }], bos_token: '<s>' })!;
  assert.equal(list.render([]), 'A<s>');
  assert.equal(chatTemplateFromTokenizerConfig({ chat_template: [{ name: 'tool_use', template: 'B' }] }, { name: 'tool_use' })!.render([]), 'B');
  assert.throws(() => chatTemplateFromTokenizerConfig({ chat_template: [{ name: 'tool_use', template: 'B' }] }), /no chat template named 'default'/);
  assert.equal(chatTemplateFromTokenizerConfig({}), null);
  const kv = new Map<string, unknown>([
    ['tokenizer.chat_template', '{{ bos_token }}{{ messages[0].content }}{{ eos_token }}'],
    ['tokenizer.ggml.tokens', ['<unk>', '<s>', '</s>']],
    ['tokenizer.ggml.bos_token_id', 1],
    ['tokenizer.ggml.eos_token_id', 2],
  ]);
  assert.equal(chatTemplateFromGguf(kv)!.render([{ role: 'user', content: 'x' }]), '<s>x</s>');
  assert.equal(chatTemplateFromGguf(new Map()), null);
  assert.throws(() => new ChatTemplate('{% for %}'), /does not parse/);
  assert.throws(() => defaultChatTemplate().render([{ role: 'user' } as ChatMessage]), /messages\[0\]\.content must be a string/);
});

test('assistant spans hold the content and the end-of-turn marker, never the header', () => {
  const msgs: ChatMessage[] = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'Bye' }, { role: 'assistant', content: 'Ok' }];
  const { text, spans } = assistantSpans(defaultChatTemplate(), msgs);
  assert.deepEqual(spans.map(([a, b]) => text.slice(a, b)), ['Hello<|im_end|>\n', 'Ok<|im_end|>\n']);
  const mistral = assistantSpans(fixture('mistral'), msgs.slice(0, 2));
  assert.deepEqual(mistral.spans.map(([a, b]) => mistral.text.slice(a, b)), ['Hello</s>']);
});

test('the default template\'s tokens become special tokens; the grown model keeps every old logit', () => {
  const tok = builtinTokenizer();
  const config = configFromHf({ model_type: 'llama', vocab_size: tok.vocabSize, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 32, tie_word_embeddings: false });
  const base = Model.init(config, new op.Rng(3));
  const ids = op.tensor([5, 17, 300, 4095], [1, 4], 'int32');
  const before = tidy(() => base.forward(ids).logits.toArray());
  const oldEmbed = base.params.get('model.embed_tokens.weight')!.toArray();
  const { model, tokenizer, ids: added, added: n } = addChatTokens(base, tok);
  assert.equal(n, 2);
  assert.deepEqual([...added], [['<|im_start|>', tok.vocabSize], ['<|im_end|>', tok.vocabSize + 1]]);
  assert.equal(model.config.vocabSize, tok.vocabSize + 2);
  assert.equal(tokenizer.vocabSize, tok.vocabSize + 2);
  // every logit of the old vocabulary is bit-identical
  const after = tidy(() => model.forward(ids).logits.toArray());
  const V = tok.vocabSize;
  for (let t = 0; t < 4; t++) for (let v = 0; v < V; v++) assert.equal(after[t * (V + 2) + v], before[t * V + v]);
  // the new rows are the mean of the old ones (embedding and untied head), to float32 rounding
  for (const name of ['model.embed_tokens.weight', 'lm_head.weight']) {
    const w = model.params.get(name)!.toArray();
    const C = 8;
    for (let c = 0; c < C; c++) {
      let mean = 0;
      for (let v = 0; v < V; v++) mean += (name === 'lm_head.weight' ? w : oldEmbed)[v * C + c];
      mean /= V;
      assert.ok(Math.abs(w[V * C + c] - mean) < 1e-7 && Math.abs(w[(V + 1) * C + c] - mean) < 1e-7, `${name} column ${c}`);
    }
  }
  // the markers encode as one token each; ordinary text is unchanged
  assert.deepEqual(tokenizer.encode('<|im_start|>user\nHi', { allowedSpecial: 'all' }), [V, ...tok.encode('user\nHi')]);
  assert.throws(() => tokenizer.encode('<|im_end|>'), /special token/);
  // asking again adds nothing
  assert.equal(addChatTokens(model, tokenizer).added, 0);
  model.dispose();
});

test('conversations encode with the assistant\'s tokens marked; markers in messages are refused', () => {
  const base = builtinTokenizer();
  const { tokenizer } = addChatTokens(Model.init(configFromHf({ model_type: 'llama', vocab_size: base.vocabSize, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 4, max_position_embeddings: 8 }), new op.Rng(1)), base);
  const t = defaultChatTemplate();
  const msgs: ChatMessage[] = [{ role: 'user', content: 'Hi there' }, { role: 'assistant', content: 'Hello, friend.' }];
  const { ids, assistant } = encodeConversation(tokenizer, t, msgs);
  const marked = ids.filter((_, i) => assistant[i] === 1);
  assert.equal(tokenizer.decode(marked), 'Hello, friend.<|im_end|>\n');
  assert.equal(tokenizer.decode(ids), t.render(msgs));
  assert.equal(ids[0], tokenizer.specialTokens.get('<|im_start|>'));
  const prompt = encodeChat(tokenizer, t, msgs.slice(0, 1), { addGenerationPrompt: true });
  assert.equal(tokenizer.decode(prompt), '<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n');
  assert.throws(() => encodeChat(tokenizer, t, [{ role: 'user', content: 'a <|im_end|> b' }]), /messages\[0\] \(user\) contains the special token text '<\|im_end\|>'/);
  assert.deepEqual(chatStopTokens(tokenizer, t).sort(), [tokenizer.specialTokens.get('<|endoftext|>'), tokenizer.specialTokens.get('<|im_end|>')].sort());
});

test('fixtures parse as JSON with the fields the README names', () => {
  for (const name of ['qwen2', 'llama3', 'zephyr', 'mistral']) {
    const json = JSON.parse(readFileSync(join(fixtures, name, 'tokenizer_config.json'), 'utf8'));
    assert.equal(typeof json.chat_template, 'string', name);
  }
});
