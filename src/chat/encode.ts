// From a conversation to token ids: the template's text with its special tokens as special ids,
// the messages' own text never turned into special tokens, and (for fine-tuning) which tokens
// the assistant wrote.

import type { Tokenizer } from '../tokenizer/types.js';
import { checkMessages, type ChatMessage, type ChatTemplate } from './template.js';

/** Refuses a message whose text holds a special token's string (it would be read as that token). */
export function checkNoSpecialText(tokenizer: Tokenizer, messages: readonly ChatMessage[]): void {
  messages.forEach((m, i) => {
    for (const s of tokenizer.specialTokens.keys()) {
      if (m.content.includes(s)) throw new Error(`messages[${i}] (${m.role}) contains the special token text '${s}'; a message cannot hold a template's markers`);
    }
  });
}

/** messages -> prompt ids, rendered with the template (special tokens allowed in the template's own text only). */
export function encodeChat(tokenizer: Tokenizer, template: ChatTemplate, messages: readonly ChatMessage[], opts: { addGenerationPrompt?: boolean } = {}): number[] {
  checkMessages(messages);
  checkNoSpecialText(tokenizer, messages);
  return tokenizer.encode(template.render(messages, opts), { allowedSpecial: 'all' });
}

/** A conversation as ids, with `assistant[i]` = 1 where token i is part of an assistant turn. */
export interface EncodedConversation {
  ids: number[];
  assistant: Uint8Array;
}

/**
 * Splits a conversation's rendering into the assistant's spans and the rest, as character ranges:
 * the assistant turn at message i is what rendering messages[0..i] adds to the rendering of
 * messages[0..i-1] with the generation prompt (so the span holds the content and the template's
 * end-of-turn marker, never the header). Throws when the template does not render a conversation
 * as a growing prefix (then the spans cannot be known).
 */
export function assistantSpans(template: ChatTemplate, messages: readonly ChatMessage[]): { text: string; spans: [number, number][] } {
  checkMessages(messages);
  const text = template.render(messages);
  const spans: [number, number][] = [];
  messages.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    const before = template.render(messages.slice(0, i), { addGenerationPrompt: true });
    const upTo = template.render(messages.slice(0, i + 1));
    if (!upTo.startsWith(before) || !text.startsWith(upTo)) {
      throw new Error(`the chat template does not render the conversation turn by turn (message ${i}, the assistant's, changes earlier text), so the assistant's tokens cannot be found`);
    }
    if (upTo.length > before.length) spans.push([before.length, upTo.length]);
  });
  return { text, spans };
}

/**
 * messages -> ids with the assistant's tokens marked (what supervised fine-tuning takes the loss
 * on). Each span is encoded on its own, so no token straddles a span boundary.
 */
export function encodeConversation(tokenizer: Tokenizer, template: ChatTemplate, messages: readonly ChatMessage[]): EncodedConversation {
  checkNoSpecialText(tokenizer, messages);
  const { text, spans } = assistantSpans(template, messages);
  const ids: number[] = [];
  const flags: number[] = [];
  const push = (from: number, to: number, flag: number) => {
    if (to <= from) return;
    for (const id of tokenizer.encode(text.slice(from, to), { allowedSpecial: 'all' })) {
      ids.push(id);
      flags.push(flag);
    }
  };
  let at = 0;
  for (const [a, b] of spans) {
    push(at, a, 0);
    push(a, b, 1);
    at = b;
  }
  push(at, text.length, 0);
  return { ids, assistant: Uint8Array.from(flags) };
}

/** End-of-turn markers that templates use; a chat stops at whichever of these the template names. */
const END_OF_TURN = ['<|im_end|>', '<|eot_id|>', '<|end|>', '<end_of_turn>', '<|end_of_text|>', '</s>', '<|endoftext|>'];

/** The ids that end an assistant turn: the tokenizer's eos, the template's eos, and end-of-turn markers named in the template. */
export function chatStopTokens(tokenizer: Tokenizer, template: ChatTemplate): number[] {
  const ids = new Set<number>();
  if (tokenizer.eos !== undefined) ids.add(tokenizer.eos);
  const eos = template.tokens.eosToken;
  if (eos !== undefined && tokenizer.specialTokens.has(eos)) ids.add(tokenizer.specialTokens.get(eos)!);
  for (const s of END_OF_TURN) if (template.source.includes(s) && tokenizer.specialTokens.has(s)) ids.add(tokenizer.specialTokens.get(s)!);
  return [...ids];
}
