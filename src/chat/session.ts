// A conversation with a model: history, a system prompt, the template applied every turn, the
// reply streamed, and a stated policy when the context window fills: the oldest turns (a user
// message and its reply) are dropped, the system prompt is kept.

import { generateIds } from '../generate/generate.js';
import type { SamplingOptions } from '../generate/sampler.js';
import type { Model } from '../models/model.js';
import { StreamDecoder } from '../tokenizer/stream-decode.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { chatStopTokens, encodeChat } from './encode.js';
import type { ChatMessage, ChatTemplate } from './template.js';

export interface ChatSessionOptions extends SamplingOptions {
  system?: string;
  /** Most tokens per reply (default 256); also the room kept free for a reply when old turns are dropped. */
  maxTokens?: number;
  /** Text that ends a reply (cut before it), e.g. '\nUser:' for a plain-text template. */
  stopStrings?: readonly string[];
}

export interface ChatTurn {
  reply: string;
  /** Prompt tokens of this turn (the whole conversation as rendered). */
  promptTokens: number;
  replyTokens: number;
  /** Turns dropped to make room, this time. */
  dropped: number;
  /** Tokens of the context window in use after the reply, and its size. */
  used: number;
  window: number;
  stopReason: 'end_of_turn' | 'max_tokens' | 'context_full' | 'stop_string';
}

export class ChatSession {
  readonly history: ChatMessage[] = [];
  private readonly stopIds: number[];

  constructor(readonly model: Model, readonly tokenizer: Tokenizer, readonly template: ChatTemplate, readonly opts: ChatSessionOptions = {}) {
    this.stopIds = chatStopTokens(tokenizer, template);
  }

  private messages(user: string): ChatMessage[] {
    return [...(this.opts.system ? [{ role: 'system', content: this.opts.system }] : []), ...this.history, { role: 'user', content: user }];
  }

  /** Sends a user message; onText receives the reply as it is generated. */
  send(user: string, onText: (text: string) => void = () => {}): ChatTurn {
    const window = this.model.contextLength;
    const maxTokens = this.opts.maxTokens ?? 256;
    const room = Math.min(maxTokens, Math.floor(window / 4));
    let ids = encodeChat(this.tokenizer, this.template, this.messages(user), { addGenerationPrompt: true });
    let dropped = 0;
    while (ids.length + room > window && this.history.length > 0) {
      this.history.splice(0, 2); // the oldest user message and its reply
      dropped++;
      ids = encodeChat(this.tokenizer, this.template, this.messages(user), { addGenerationPrompt: true });
    }
    if (ids.length >= window) throw new Error(`this message needs ${ids.length} tokens with the template; the context window holds ${window}`);
    const decoder = new StreamDecoder(this.tokenizer);
    const stops = this.opts.stopStrings ?? [];
    let reply = '', shown = 0, replyTokens = 0;
    let stopReason: ChatTurn['stopReason'] = 'max_tokens';
    const gen = generateIds(this.model, ids, { ...this.opts, maxTokens: Math.min(maxTokens, window - ids.length - 1) });
    for (;;) {
      const r = gen.next();
      if (r.done) {
        stopReason = r.value === 'context_full' ? 'context_full' : stopReason;
        break;
      }
      replyTokens++;
      if (this.stopIds.includes(r.value.id)) {
        stopReason = 'end_of_turn';
        gen.return('stop_token');
        break;
      }
      reply += decoder.push(r.value.id);
      const cut = stops.map((s) => reply.indexOf(s)).filter((i) => i >= 0);
      if (cut.length > 0) {
        reply = reply.slice(0, Math.min(...cut));
        stopReason = 'stop_string';
        gen.return('stop_string');
        break;
      }
      // hold back text that may be the start of a stop string
      const hold = Math.max(0, ...stops.map((s) => longestPrefixAtEnd(reply, s)));
      shown = Math.max(shown, reply.length - reply.trimStart().length); // no leading whitespace
      if (reply.length - hold > shown) {
        onText(reply.slice(shown, reply.length - hold));
        shown = reply.length - hold;
      }
    }
    if (stopReason !== 'stop_string') reply += decoder.flush();
    shown = Math.max(shown, reply.length - reply.trimStart().length);
    reply = reply.trimEnd();
    if (reply.length > shown) onText(reply.slice(shown));
    reply = reply.trim();
    this.history.push({ role: 'user', content: user }, { role: 'assistant', content: reply });
    return { reply, promptTokens: ids.length, replyTokens, dropped, used: ids.length + replyTokens, window, stopReason };
  }
}

/** Length of the longest prefix of `s` that `text` ends with (0 if none). */
function longestPrefixAtEnd(text: string, s: string): number {
  for (let n = Math.min(s.length - 1, text.length); n > 0; n--) if (text.endsWith(s.slice(0, n))) return n;
  return 0;
}
