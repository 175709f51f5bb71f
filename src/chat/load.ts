// Reading a checkpoint's chat template from disk (Node): a model directory's tokenizer_config.json
// (or chat_template.jinja beside it), or a .gguf file's metadata.

import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GgufTruncatedError, readGgufMetadata } from '../tokenizer/gguf-metadata.js';
import { chatTemplateFromGguf, chatTemplateFromTokenizerConfig } from './sources.js';
import type { ChatTemplate } from './template.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { defaultChatTemplate, plainChatTemplate } from './default.js';

function readGgufKv(path: string): Map<string, unknown> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    for (let want = Math.min(size, 16 << 20); ; want = Math.min(size, want * 2)) {
      const buf = new Uint8Array(want);
      const got = readSync(fd, buf, 0, want, 0);
      try {
        return readGgufMetadata(buf.subarray(0, got), path).kv;
      } catch (err) {
        if (!(err instanceof GgufTruncatedError) || want >= size) throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The chat template a checkpoint carries, or null when it has none. `path` is a model directory
 * (or a file in one: its directory is read) or a .gguf file.
 */
export function loadChatTemplate(path: string, opts: { name?: string } = {}): ChatTemplate | null {
  if (!existsSync(path)) throw new Error(`not found: ${path}`);
  if (path.endsWith('.gguf')) return chatTemplateFromGguf(readGgufKv(path), opts);
  const dir = statSync(path).isDirectory() ? path : dirname(path);
  const configPath = join(dir, 'tokenizer_config.json');
  const jinjaPath = join(dir, 'chat_template.jinja');
  const jinjaFile = existsSync(jinjaPath) ? readFileSync(jinjaPath, 'utf8') : undefined;
  if (!existsSync(configPath)) return jinjaFile === undefined ? null : chatTemplateFromTokenizerConfig({}, { jinjaFile });
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (e) {
    throw new Error(`${configPath}: not valid JSON (${(e as Error).message})`);
  }
  return chatTemplateFromTokenizerConfig(config, { ...opts, jinjaFile, what: configPath });
}

/**
 * The template to chat with: a file given (`choice`), else the adapter's folder's, else the model's
 * own, else ChatML when the vocabulary has its tokens, else the plain-text template (eos ends a
 * turn). Says which in `source`.
 */
export function resolveChatTemplate(opts: { choice?: string; adapterDir?: string; modelPath: string; tokenizer: Tokenizer }): { template: ChatTemplate; source: string } {
  const { choice, adapterDir, modelPath, tokenizer } = opts;
  if (choice && choice !== 'auto' && choice !== 'chatml' && choice !== 'plain') {
    const t = loadChatTemplate(choice);
    if (!t) throw new Error(`${choice}: holds no chat template`);
    return { template: t, source: choice };
  }
  if (!choice || choice === 'auto') {
    for (const [where, path] of [['the adapter', adapterDir], ['the model', modelPath]] as const) {
      if (!path) continue;
      const t = loadChatTemplate(path);
      if (t) return { template: t, source: `${where}'s own` };
    }
  }
  const hasChatml = tokenizer.specialTokens.has('<|im_start|>') && tokenizer.specialTokens.has('<|im_end|>');
  if (choice === 'chatml' || (choice !== 'plain' && hasChatml)) {
    if (!hasChatml) throw new Error('ChatML needs <|im_start|> and <|im_end|>, which this vocabulary lacks (use --template plain)');
    return { template: defaultChatTemplate(), source: 'ChatML' };
  }
  const eos = tokenizer.eos === undefined ? undefined : tokenizer.idToToken(tokenizer.eos);
  return { template: plainChatTemplate(eos !== undefined && tokenizer.specialTokens.has(eos) ? eos : ''), source: 'plain text (User: / Assistant:)' };
}
