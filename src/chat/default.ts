// glasslm's own chat format, for models fine-tuned here: ChatML, as Qwen2 and SmolLM use it,
// without a default system prompt. Every turn is
//
//   <|im_start|>{role}\n{content}<|im_end|>\n
//
// and a generation prompt is `<|im_start|>assistant\n`. The two markers are special tokens that
// addChatTokens (./add-tokens.ts) adds to a vocabulary that lacks them; generation stops at <|im_end|>.

import { ChatTemplate } from './template.js';

export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';

/** The markers the default template needs as special tokens, in the order they get new ids. */
export const DEFAULT_CHAT_TOKENS: readonly string[] = [IM_START, IM_END];

export const DEFAULT_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/**
 * A template for a vocabulary without chat markers (a LoRA adapter cannot add tokens to its
 * frozen base): plain-text labels, the vocabulary's eos token ending each assistant turn.
 *
 *   {system}\n\nUser: {user}\nAssistant: {assistant}{eos}\n
 *
 * and a generation prompt is `Assistant:`.
 */
export const PLAIN_CHAT_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] + '\n\n' }}" +
  "{% elif message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\n' }}" +
  "{% else %}{{ 'Assistant: ' + message['content'] + eos_token + '\n' }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

/** The plain template for a vocabulary whose end-of-text token is `eosToken`. */
export function plainChatTemplate(eosToken: string): ChatTemplate {
  return new ChatTemplate(PLAIN_CHAT_TEMPLATE, { eosToken });
}

/** The default template; its eos (what ends an assistant turn) is <|im_end|>. */
export function defaultChatTemplate(): ChatTemplate {
  return new ChatTemplate(DEFAULT_CHAT_TEMPLATE, { eosToken: IM_END });
}

/**
 * Text that ends a reply under this template: the plain template's next "User:" turn (a model
 * that missed its end-of-text token would write the user's part next). Judged by the template
 * itself, so a folder or adapter carrying the plain template stops the same way.
 */
export function templateStopStrings(template: ChatTemplate): string[] {
  return template.source === PLAIN_CHAT_TEMPLATE ? ['\nUser:', '\nuser:'] : [];
}
