// Preference data: pairs of a prompt with a chosen (preferred) and a rejected answer.
//
// Two layouts are read, both checked completely before anything is returned (nothing is trained
// on half-read data; the first bad record is an error naming the file, the line and the key):
//   - JSONL, one pair per line: {"prompt": "...", "chosen": "...", "rejected": "..."}, where the
//     prompt may instead be `messages` (a list of {role, content} turns, as OpenAI / Hugging Face),
//     and chosen/rejected may be a string or a one-turn list [{"role": "assistant", "content": …}];
//   - Alpaca, as a JSON array or JSONL: {"instruction", "input"?, "chosen", "rejected"} (extra keys
//     such as "output" are ignored), e.g. instruction-data-with-preference.json.
// Pure functions over text: the file reading is in data-file.ts.

export type Role = 'system' | 'user' | 'assistant';

export interface ChatTurn {
  role: Role;
  content: string;
}

/** A prompt as plain text (given to the model as is) or as chat turns (rendered by a chat template). */
export type PreferencePrompt = { text: string } | { messages: ChatTurn[] };

export interface PreferencePair {
  prompt: PreferencePrompt;
  chosen: string;
  rejected: string;
  /** Where the record came from (for messages about it). */
  source: { file: string; line: number };
}

/** The Alpaca prompt (as in Stanford Alpaca and instruction-data.json): instruction, optional input, then "### Response:". */
export function alpacaPrompt(instruction: string, input?: string): string {
  const head = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.';
  const inputPart = input ? `\n\n### Input:\n${input}` : '';
  return `${head}\n\n### Instruction:\n${instruction}${inputPart}\n\n### Response:\n`;
}

export class PreferenceDataError extends Error {
  constructor(readonly file: string, readonly line: number, readonly key: string | null, message: string) {
    super(`${file}:${line}: ${key ? `key '${key}': ` : ''}${message}`);
    this.name = 'PreferenceDataError';
  }
}

const ROLES = new Set(['system', 'user', 'assistant']);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'string' ? 'a string' : typeof v;
}

type Fail = (key: string | null, message: string) => never;

function nonEmptyString(rec: Record<string, unknown>, key: string, fail: Fail): string {
  if (!(key in rec)) fail(key, 'is missing');
  const v = rec[key];
  if (typeof v !== 'string') fail(key, `must be a string, got ${describe(v)}`);
  if ((v as string).trim() === '') fail(key, 'is empty');
  return v as string;
}

function turns(v: unknown, key: string, fail: Fail): ChatTurn[] {
  if (!Array.isArray(v)) fail(key, `must be a list of {role, content} turns, got ${describe(v)}`);
  const list = v as unknown[];
  if (list.length === 0) fail(key, 'is an empty list');
  return list.map((t, i) => {
    if (t === null || typeof t !== 'object' || Array.isArray(t)) fail(`${key}[${i}]`, `must be an object {role, content}, got ${describe(t)}`);
    const turn = t as Record<string, unknown>;
    if (typeof turn.role !== 'string' || !ROLES.has(turn.role)) fail(`${key}[${i}].role`, `must be one of system, user, assistant, got ${JSON.stringify(turn.role)}`);
    if (typeof turn.content !== 'string') fail(`${key}[${i}].content`, `must be a string, got ${describe(turn.content)}`);
    return { role: turn.role as Role, content: turn.content as string };
  });
}

/** chosen / rejected: a string, or a list holding one assistant turn. */
function answer(rec: Record<string, unknown>, key: string, fail: Fail): string {
  if (!(key in rec)) fail(key, 'is missing');
  const v = rec[key];
  if (Array.isArray(v)) {
    const t = turns(v, key, fail);
    if (t.length !== 1 || t[0].role !== 'assistant') fail(key, 'as a list must hold exactly one assistant turn');
    if (t[0].content.trim() === '') fail(key, 'is empty');
    return t[0].content;
  }
  return nonEmptyString(rec, key, fail);
}

/** One record's prompt (prompt, messages or Alpaca instruction + input). */
function toPrompt(v: unknown, fail: Fail): PreferencePrompt {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(null, `a record must be a JSON object, got ${describe(v)}`);
  const rec = v as Record<string, unknown>;
  let prompt: PreferencePrompt;
  const kinds = ['prompt', 'messages', 'instruction'].filter((k) => k in rec);
  if (kinds.length === 0) fail('prompt', "is missing (give 'prompt', 'messages', or Alpaca's 'instruction')");
  if (kinds.length > 1) fail(kinds[1], `cannot be given together with '${kinds[0]}'`);
  if (kinds[0] === 'instruction') {
    const instruction = nonEmptyString(rec, 'instruction', fail);
    if ('input' in rec && typeof rec.input !== 'string') fail('input', `must be a string, got ${describe(rec.input)}`);
    prompt = { text: alpacaPrompt(instruction, rec.input as string | undefined) };
  } else if (kinds[0] === 'messages' || Array.isArray(rec.prompt)) {
    const key = kinds[0];
    const messages = turns(rec[key], key, fail);
    if (messages[messages.length - 1].role === 'assistant') fail(key, 'must not end with an assistant turn: the prompt is what the model answers, so its last turn is the user\'s');
    prompt = { messages };
  } else {
    prompt = { text: nonEmptyString(rec, 'prompt', fail) };
  }
  return prompt;
}

/** One record (already JSON-parsed) as a pair; `fail` throws the named error. */
function toPair(v: unknown, file: string, line: number): PreferencePair {
  const fail: Fail = (key, message) => {
    throw new PreferenceDataError(file, line, key, message);
  };
  const prompt = toPrompt(v, fail);
  const rec = v as Record<string, unknown>;
  return { prompt, chosen: answer(rec, 'chosen', fail), rejected: answer(rec, 'rejected', fail), source: { file, line } };
}

export interface PromptRecord {
  prompt: PreferencePrompt;
  source: { file: string; line: number };
}

/** Prompts only (for RL): the same layouts, any answers ignored. */
export function parsePromptData(text: string, file: string): PromptRecord[] {
  const records: { v: unknown; line: number }[] = [];
  if (text.trimStart().startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(text);
    } catch (err) {
      throw new PreferenceDataError(file, 1, null, `not valid JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(arr)) throw new PreferenceDataError(file, 1, null, 'expected a JSON array of records');
    const lines = arrayElementLines(text);
    arr.forEach((v, i) => records.push({ v, line: lines[i] ?? 1 }));
  } else {
    text.split('\n').forEach((l, i) => {
      if (l.trim() === '') return;
      try {
        records.push({ v: JSON.parse(l), line: i + 1 });
      } catch (err) {
        throw new PreferenceDataError(file, i + 1, null, `not valid JSON (${(err as Error).message})`);
      }
    });
  }
  if (records.length === 0) throw new PreferenceDataError(file, 1, null, 'holds no records');
  return records.map(({ v, line }) => ({ prompt: toPrompt(v, (key, message) => { throw new PreferenceDataError(file, line, key, message); }), source: { file, line } }));
}

/** JSONL: one record per non-blank line. */
export function parsePreferenceJsonl(text: string, file: string): PreferencePair[] {
  const pairs: PreferencePair[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new PreferenceDataError(file, i + 1, null, `not valid JSON (${(err as Error).message})`);
    }
    pairs.push(toPair(v, file, i + 1));
  }
  if (pairs.length === 0) throw new PreferenceDataError(file, 1, null, 'holds no records');
  return pairs;
}

/**
 * The line (1-based) on which each element of a top-level JSON array starts: a scan that tracks
 * strings and nesting, so that a record in a pretty-printed array can be named by its line.
 */
export function arrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1, depth = 0, inString = false, escaped = false, expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
    if (expectElement && c !== ']') lines.push(line);
    expectElement = false;
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1 && c === '[') expectElement = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectElement = true;
  }
  return lines;
}

/** A JSON array of records (Alpaca layout, or any record layout above). */
export function parsePreferenceJsonArray(text: string, file: string): PreferencePair[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new PreferenceDataError(file, 1, null, `not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(v)) throw new PreferenceDataError(file, 1, null, `expected a JSON array of records, got ${describe(v)}`);
  if (v.length === 0) throw new PreferenceDataError(file, 1, null, 'holds no records');
  const lines = arrayElementLines(text);
  return v.map((rec, i) => toPair(rec, file, lines[i] ?? 1));
}

/** Either layout: a JSON array when the text starts with '[', JSONL otherwise. */
export function parsePreferenceData(text: string, file: string): PreferencePair[] {
  return text.trimStart().startsWith('[') ? parsePreferenceJsonArray(text, file) : parsePreferenceJsonl(text, file);
}

/**
 * Splits pairs into training and held-out sets: every k-th pair is held out (k = 1/fraction),
 * so both sets span the whole file. fraction 0 holds nothing out.
 */
export function splitPairs<T>(pairs: readonly T[], fraction: number): { train: T[]; heldOut: T[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`the held-out fraction must be in [0, 1), got ${fraction}`);
  if (fraction === 0) return { train: [...pairs], heldOut: [] };
  const every = Math.max(2, Math.round(1 / fraction));
  const train: T[] = [], heldOut: T[] = [];
  pairs.forEach((p, i) => ((i % every === every - 1 ? heldOut : train).push(p)));
  return { train, heldOut };
}
