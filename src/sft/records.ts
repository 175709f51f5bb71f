// Supervised fine-tuning data: the record formats people keep instruction data in, read into one
// form. Every record is checked before anything is used, and a bad one is an error naming the
// file, the line and the key, so nothing is ever trained on half-read data.
//
//   messages JSONL    {"messages": [{"role": "system"|"user"|"assistant", "content": "…"}, …]}
//   Alpaca JSON/JSONL {"instruction": "…", "input": "…" (may be empty or absent), "output": "…"}
//   prompt/completion {"prompt": "…", "completion": "…"} (plain text, no chat template)
//
// A file is JSONL (one record per line), or one JSON array of records (Alpaca's own layout).

import type { ChatMessage } from '../chat/template.js';

/** A conversation (rendered with a chat template) or a plain prompt and its completion. */
export type SftExample = (
  | { kind: 'chat'; messages: ChatMessage[] }
  | { kind: 'completion'; prompt: string; completion: string }
) & {
  /** Where the record came from, "file:line", for errors. */
  source?: string;
};

const ROLES = new Set(['system', 'user', 'assistant']);

type Json = Record<string, unknown>;

/** An error at file:line, naming the key. */
function bad(file: string, line: number, key: string, why: string): Error {
  return new Error(`${file}:${line}: ${key ? `key '${key}' ` : ''}${why}`);
}

/** Alpaca's prompt: the instruction, then its input (when there is one) after a blank line. */
export function alpacaPrompt(instruction: string, input: string): string {
  return input.trim() === '' ? instruction : `${instruction}\n\n${input}`;
}

/** One record (a parsed JSON value) -> an example; `file` and `line` name it in errors. */
export function recordToExample(value: unknown, file: string, line: number): SftExample {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(file, line, '', 'a record must be a JSON object');
  const r = value as Json;
  const str = (key: string, required: boolean): string => {
    const v = r[key];
    if (v === undefined && !required) return '';
    if (typeof v !== 'string') throw bad(file, line, key, v === undefined ? 'is missing' : `must be a string, got ${JSON.stringify(v)?.slice(0, 40)}`);
    return v;
  };
  if ('messages' in r) {
    const msgs = r.messages;
    if (!Array.isArray(msgs) || msgs.length === 0) throw bad(file, line, 'messages', 'must be a non-empty array of { role, content }');
    const messages = msgs.map((m, i): ChatMessage => {
      const key = `messages[${i}]`;
      if (typeof m !== 'object' || m === null || Array.isArray(m)) throw bad(file, line, key, 'must be an object { role, content }');
      const { role, content } = m as Json;
      if (typeof role !== 'string' || !ROLES.has(role)) throw bad(file, line, `${key}.role`, `must be system, user or assistant, got ${JSON.stringify(role)}`);
      if (typeof content !== 'string') throw bad(file, line, `${key}.content`, `must be a string, got ${JSON.stringify(content)?.slice(0, 40)}`);
      return { role, content };
    });
    if (!messages.some((m) => m.role === 'assistant')) throw bad(file, line, 'messages', 'has no assistant turn to learn from');
    return { kind: 'chat', messages, source: `${file}:${line}` };
  }
  if ('instruction' in r) {
    const instruction = str('instruction', true);
    const input = str('input', false);
    const output = str('output', true);
    if (instruction.trim() === '') throw bad(file, line, 'instruction', 'is empty');
    if (output.trim() === '') throw bad(file, line, 'output', 'is empty');
    return { kind: 'chat', messages: [{ role: 'user', content: alpacaPrompt(instruction, input) }, { role: 'assistant', content: output }], source: `${file}:${line}` };
  }
  if ('prompt' in r || 'completion' in r) {
    const prompt = str('prompt', true);
    const completion = str('completion', true);
    if (completion === '') throw bad(file, line, 'completion', 'is empty');
    return { kind: 'completion', prompt, completion, source: `${file}:${line}` };
  }
  throw bad(file, line, '', `is not a known record: expected 'messages', 'instruction'/'output' (Alpaca) or 'prompt'/'completion', got keys ${Object.keys(r).join(', ') || '(none)'}`);
}

/** Start offsets of a JSON array's elements (top level), for line numbers in errors. */
function arrayElementStarts(text: string): number[] {
  const starts: number[] = [];
  let depth = 0, inString = false, expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t') continue;
    if (depth === 1 && expectValue) {
      starts.push(i);
      expectValue = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1) expectValue = true;
  }
  return starts;
}

/** The 1-based line of each offset (offsets ascending), in one pass over the text. */
function linesAt(text: string, offsets: number[]): number[] {
  const lines: number[] = [];
  let line = 1, at = 0;
  for (const offset of offsets) {
    for (; at < offset; at++) if (text.charCodeAt(at) === 10) line++;
    lines.push(line);
  }
  return lines;
}

/** A whole file's text -> its examples (every record checked first). */
export function parseSftText(text: string, file: string): SftExample[] {
  const body = text.replace(/^\uFEFF/, '');
  const examples: SftExample[] = [];
  if (body.trimStart().startsWith('[')) {
    let records: unknown;
    try {
      records = JSON.parse(body);
    } catch (e) {
      throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(records)) throw new Error(`${file}: a JSON file must hold an array of records`);
    const lines = linesAt(body, arrayElementStarts(body));
    records.forEach((r, i) => examples.push(recordToExample(r, file, lines[i] ?? 1)));
  } else {
    const lines = body.split('\n');
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (line === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
      }
      examples.push(recordToExample(value, file, i + 1));
    });
  }
  if (examples.length === 0) throw new Error(`${file}: holds no records`);
  return examples;
}
