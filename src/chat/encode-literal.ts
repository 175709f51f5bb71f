// A conversation to ids where the messages' own text is always plain text: a message that holds
// a special token's string ("<|im_end|>") gets the ids of those characters, never the special id,
// while the template's own markers stay special. What a server does with untrusted messages.

import type { Tokenizer } from '../tokenizer/types.js';
import { type ChatMessage, type ChatTemplate, checkMessages } from './template.js';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * messages -> prompt ids. Special token strings inside messages are swapped for private markers
 * before rendering, the rendered text is split at the template's special tokens, and each plain
 * piece is encoded with the markers turned back into the original characters. Equals
 * tokenizer.encode(template.render(messages), { allowedSpecial: 'all' }) when no message holds a
 * special token's string.
 */
export function encodeChatLiteral(tokenizer: Tokenizer, template: ChatTemplate, messages: readonly ChatMessage[], opts: { addGenerationPrompt?: boolean } = {}): number[] {
  checkMessages(messages);
  const specials = [...tokenizer.specialTokens.keys()].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  if (specials.length === 0) return tokenizer.encodeOrdinary(template.render(messages, opts));
  const nonce = Math.random().toString(36).slice(2, 10);
  const marker = (i: number) => `\uE000${nonce}:${i}\uE001`;
  const any = new RegExp(specials.map(escapeRegExp).join('|'), 'g');
  const escaped = messages.map((m) => ({ ...m, content: m.content.replace(any, (s) => marker(specials.indexOf(s))) }));
  const text = template.render(escaped, opts);
  const markers = new RegExp(`\uE000${nonce}:(\\d+)\uE001`, 'g');
  const ids: number[] = [];
  let at = 0;
  const plain = (s: string) => {
    if (s.length > 0) ids.push(...tokenizer.encodeOrdinary(s.replace(markers, (_, i: string) => specials[Number(i)])));
  };
  any.lastIndex = 0;
  for (let m = any.exec(text); m !== null; m = any.exec(text)) {
    plain(text.slice(at, m.index));
    ids.push(tokenizer.specialTokens.get(m[0])!);
    at = m.index + m[0].length;
  }
  plain(text.slice(at));
  return ids;
}
