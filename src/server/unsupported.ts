// OpenAI request fields for features this server does not offer (tools, structured output,
// insertion, server-side best-of). Clients and front ends often send them at their neutral values
// (`tools: []`, `response_format: {type: 'text'}`, `best_of: 1`), which pass; any other value is
// refused by name with a 400, never silently ignored.

import { badRequest } from './errors.js';
import type { ChatBody, CompletionBody } from './schemas.js';

const unsupported = (message: string, param: string) => badRequest(message, param, 'unsupported_parameter');

export function refuseUnsupportedChat(body: ChatBody): void {
  if (body.tools && body.tools.length > 0) throw unsupported('tools (function calling) are not supported by this server: send the request without tools', 'tools');
  const choice = body.tool_choice;
  if (choice !== undefined && choice !== null && choice !== 'none' && choice !== 'auto') {
    throw unsupported(`tool_choice ${JSON.stringify(choice)} needs tools, which this server does not support: leave it out, or give 'none' or 'auto'`, 'tool_choice');
  }
  const format = body.response_format?.type;
  if (format !== undefined && format !== 'text') throw unsupported(`response_format '${format}' (structured output) is not supported by this server: leave it out, or give {"type": "text"}`, 'response_format');
  body.messages.forEach((m, i) => {
    if (m.tool_calls && m.tool_calls.length > 0) throw unsupported('tool calls in the conversation are not supported by this server (it offers no tools)', `messages.${i}.tool_calls`);
  });
}

export function refuseUnsupportedCompletion(body: CompletionBody): void {
  if (body.suffix) throw unsupported('suffix (text after the insertion point) is not supported by this server', 'suffix');
  const n = body.n ?? 1;
  if (body.best_of !== undefined && body.best_of !== null && body.best_of !== n) {
    throw unsupported(`best_of ${body.best_of} (candidates ranked on the server) is not supported: leave it out, or give it equal to n (${n})`, 'best_of');
  }
}
