// One model as the HTTP side sees it: its id, its worker, its tokenizer and chat template, and how
// request text becomes ids (special-token text stays plain text unless the server allows it).

import { defaultChatTemplate } from '../chat/default.js';
import { chatStopTokens } from '../chat/encode.js';
import { encodeChatLiteral } from '../chat/encode-literal.js';
import { loadChatTemplate } from '../chat/load.js';
import type { ChatMessage, ChatTemplate } from '../chat/template.js';
import { BUILTIN_MODEL_DIR } from '../cli/model-args.js';
import { loadTokenizer } from '../tokenizer/load-file.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { badRequest } from './errors.js';
import { ModelHost } from './model-host.js';
import type { WorkerConfig } from './protocol.js';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface ServedModelOptions extends Omit<WorkerConfig, 'modelPath'> {
  modelPath?: string;
  /** Encode special-token text in requests as special tokens (--allow-special). */
  allowSpecial: boolean;
}

/** The name a model is served under: 'glasslm-builtin', or the folder/file name without extension. */
export function modelId(path: string | undefined): string {
  if (path === undefined) return 'glasslm-builtin';
  return basename(path.replace(/[/\\]+$/, '')).replace(/\.(gguf|bin|safetensors)$/i, '');
}

function tokenizerPathFor(modelPath: string): string {
  if (statSync(modelPath).isDirectory() || modelPath.endsWith('.gguf')) return modelPath;
  const beside = join(dirname(modelPath), 'tokenizer.bin');
  if (existsSync(beside)) return beside;
  throw new Error(`'${modelPath}' carries no tokenizer: give one with --tokenizer`);
}

export class ServedModel {
  readonly id: string;
  readonly host: ModelHost;
  readonly tokenizer: Tokenizer;
  readonly template: ChatTemplate;
  /** Whether the template came from the checkpoint (false: glasslm's default ChatML). */
  readonly templateFromModel: boolean;
  /** Ids that end an assistant turn, and the end-of-turn text when it is not a special token of this vocabulary. */
  readonly chatStopIds: number[];
  readonly chatStopStrings: string[];
  readonly created = Math.floor(Date.now() / 1000);

  constructor(readonly options: ServedModelOptions) {
    this.id = modelId(options.modelPath);
    const path = options.modelPath ?? BUILTIN_MODEL_DIR;
    this.tokenizer = loadTokenizer(options.tokenizerPath ?? tokenizerPathFor(path));
    const own = loadChatTemplate(path);
    this.templateFromModel = own !== null;
    this.template = own ?? defaultChatTemplate();
    this.chatStopIds = chatStopTokens(this.tokenizer, this.template);
    const eos = this.template.tokens.eosToken;
    this.chatStopStrings = eos && !this.tokenizer.specialTokens.has(eos) ? [eos] : [];
    this.host = new ModelHost(this.id, { ...options, modelPath: options.modelPath });
  }

  /** Text -> ids: special-token text stays plain text unless the server allows special tokens. */
  encode(text: string): number[] {
    return this.options.allowSpecial ? this.tokenizer.encode(text, { allowedSpecial: 'all' }) : this.tokenizer.encodeOrdinary(text);
  }

  /** A completion prompt: BOS first where the vocabulary has one (as `glasslm generate`), then the text. */
  encodePrompt(text: string): number[] {
    return [...(this.tokenizer.bos !== undefined ? [this.tokenizer.bos] : []), ...(text ? this.encode(text) : [])];
  }

  /** A conversation rendered with the chat template, with the assistant's turn opened. */
  encodeChat(messages: ChatMessage[]): number[] {
    if (this.options.allowSpecial) return this.tokenizer.encode(this.template.render(messages, { addGenerationPrompt: true }), { allowedSpecial: 'all' });
    return encodeChatLiteral(this.tokenizer, this.template, messages, { addGenerationPrompt: true });
  }

  /** Checks request token ids against the vocabulary. */
  checkIds(ids: readonly number[], param: string): void {
    const V = this.host.info?.vocabSize ?? this.tokenizer.vocabSize;
    const bad = ids.find((id) => !(Number.isSafeInteger(id) && id >= 0 && id < V));
    if (bad !== undefined) throw badRequest(`token id ${bad} is outside the vocabulary of ${V}`, param, 'invalid_token');
  }
}
