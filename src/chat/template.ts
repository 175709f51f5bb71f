// Chat templates as Hugging Face checkpoints carry them: a Jinja program that turns a list of
// messages into the one string the model was fine-tuned on. Rendered with @huggingface/jinja
// (the engine transformers.js uses; it sets trim_blocks and lstrip_blocks, and provides
// raise_exception and strftime_now, as transformers' apply_chat_template does).
//
//   const t = new ChatTemplate(source, { bosToken: '<s>', eosToken: '</s>' });
//   t.render([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true });

import { Template } from '@huggingface/jinja';

/** One turn of a conversation, as OpenAI's and Hugging Face's `messages` lists hold it. */
export interface ChatMessage {
  /** 'system', 'user' or 'assistant' (a template may accept others, e.g. 'tool'). */
  role: string;
  content: string;
}

/** The special token strings a template may name: `{{ bos_token }}`, `{{ eos_token }}`. */
export interface ChatTemplateTokens {
  bosToken?: string;
  eosToken?: string;
}

export interface RenderOptions {
  /** Append the header that opens the assistant's turn (a prompt for generation). Default false. */
  addGenerationPrompt?: boolean;
  /** More variables for the template (e.g. `tools`, `date_string`); they cannot replace the ones above. */
  variables?: Record<string, unknown>;
}

/** Checks that `messages` is a list of { role: string, content: string }; names the first bad one. */
export function checkMessages(messages: unknown, what = 'messages'): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages)) throw new Error(`${what} must be an array of { role, content }`);
  messages.forEach((m, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new Error(`${what}[${i}] must be an object with 'role' and 'content'`);
    const r = m as Record<string, unknown>;
    if (typeof r.role !== 'string' || r.role === '') throw new Error(`${what}[${i}].role must be a non-empty string, got ${JSON.stringify(r.role)}`);
    if (typeof r.content !== 'string') throw new Error(`${what}[${i}].content must be a string, got ${JSON.stringify(r.content)}`);
  });
}

export class ChatTemplate {
  private readonly program: Template;

  /** Parses the template once; a syntax error is reported here, not at the first render. */
  constructor(readonly source: string, readonly tokens: ChatTemplateTokens = {}) {
    if (typeof source !== 'string' || source.trim() === '') throw new Error('a chat template must be a non-empty string');
    try {
      this.program = new Template(source);
    } catch (e) {
      throw new Error(`the chat template does not parse: ${(e as Error).message}`);
    }
  }

  /** messages -> the text the model reads (special tokens still as text: encode it with them allowed). */
  render(messages: readonly ChatMessage[], opts: RenderOptions = {}): string {
    checkMessages(messages);
    const vars: Record<string, unknown> = {
      ...opts.variables,
      // copies, so a template cannot change the caller's objects
      messages: messages.map((m) => ({ ...m })),
      add_generation_prompt: opts.addGenerationPrompt === true,
      bos_token: this.tokens.bosToken ?? '',
      eos_token: this.tokens.eosToken ?? '',
    };
    try {
      return this.program.render(vars);
    } catch (e) {
      throw new Error(`the chat template failed: ${(e as Error).message}`);
    }
  }
}
