// Where chat templates come from: a Hugging Face tokenizer_config.json (`chat_template`, with
// `bos_token` / `eos_token`), a GGUF file's metadata (`tokenizer.chat_template`), or glasslm's
// own default (./default.ts). Objects in, templates out: no file access here (see ./load.ts).

import { ChatTemplate, type ChatTemplateTokens } from './template.js';

type Json = Record<string, unknown>;

/** A token in tokenizer_config.json: a string, or an AddedToken object { content: '<s>', ... }. */
function tokenText(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (typeof x === 'object' && x !== null && typeof (x as Json).content === 'string') return (x as Json).content as string;
  return undefined;
}

/**
 * The template in a tokenizer_config.json object: `chat_template` is a string, or a list of
 * { name, template } (then `name` picks one; 'default' otherwise). `jinjaFile` is the text of a
 * separate chat_template.jinja, which newer checkpoints ship instead and which wins when present.
 * Returns null when the checkpoint has no template.
 */
export function chatTemplateFromTokenizerConfig(config: unknown, opts: { name?: string; jinjaFile?: string; what?: string } = {}): ChatTemplate | null {
  const what = opts.what ?? 'tokenizer_config.json';
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new Error(`${what}: expected a JSON object`);
  const c = config as Json;
  const tokens: ChatTemplateTokens = { bosToken: tokenText(c.bos_token), eosToken: tokenText(c.eos_token) };
  if (opts.jinjaFile !== undefined) return new ChatTemplate(opts.jinjaFile, tokens);
  const t = c.chat_template;
  if (t === undefined || t === null) return null;
  if (typeof t === 'string') return new ChatTemplate(t, tokens);
  if (!Array.isArray(t)) throw new Error(`${what}: chat_template must be a string or a list of { name, template }`);
  const named = new Map<string, string>();
  t.forEach((e, i) => {
    const r = e as Json;
    if (typeof r !== 'object' || r === null || typeof r.name !== 'string' || typeof r.template !== 'string') {
      throw new Error(`${what}: chat_template[${i}] must be { name: string, template: string }`);
    }
    named.set(r.name, r.template);
  });
  const name = opts.name ?? 'default';
  const source = named.get(name);
  if (source === undefined) throw new Error(`${what}: no chat template named '${name}' (has: ${[...named.keys()].join(', ')})`);
  return new ChatTemplate(source, tokens);
}

/**
 * The template in a GGUF file's metadata (key -> plain value, as the tokenizer's GGUF reader
 * returns it): `tokenizer.chat_template`, or `tokenizer.chat_template.<name>`; bos/eos strings
 * from `tokenizer.ggml.bos_token_id` / `eos_token_id` and `tokenizer.ggml.tokens`. null when absent.
 */
export function chatTemplateFromGguf(kv: ReadonlyMap<string, unknown>, opts: { name?: string } = {}): ChatTemplate | null {
  const key = opts.name ? `tokenizer.chat_template.${opts.name}` : 'tokenizer.chat_template';
  const source = kv.get(key);
  if (source === undefined) {
    if (opts.name) throw new Error(`the GGUF file has no '${key}'`);
    return null;
  }
  if (typeof source !== 'string') throw new Error(`GGUF '${key}' must be a string`);
  const tokens = kv.get('tokenizer.ggml.tokens');
  const token = (idKey: string): string | undefined => {
    const id = kv.get(idKey);
    const n = typeof id === 'bigint' ? Number(id) : id;
    if (typeof n !== 'number' || !Array.isArray(tokens)) return undefined;
    const s = tokens[n];
    return typeof s === 'string' ? s : undefined;
  };
  return new ChatTemplate(source, { bosToken: token('tokenizer.ggml.bos_token_id'), eosToken: token('tokenizer.ggml.eos_token_id') });
}

/** The tokenizer_config.json fields that carry a template (written beside a fine-tuned model). */
export function tokenizerConfigFields(template: ChatTemplate): Json {
  return {
    chat_template: template.source,
    ...(template.tokens.bosToken !== undefined ? { bos_token: template.tokens.bosToken } : {}),
    ...(template.tokens.eosToken !== undefined ? { eos_token: template.tokens.eosToken } : {}),
  };
}
