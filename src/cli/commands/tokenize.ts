// `glasslm tokenize`: shows how a tokenizer splits text: token boundaries, ids, tokens per word.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Tokenizer } from '../../tokenizer/index.js';
import { loadTokenizer } from '../../node.js';

export const summary = 'show how a tokenizer splits text into tokens (ids, boundaries, tokens per word)';

const USAGE = `usage: glasslm tokenize --tokenizer <file-or-dir> [--file F | TEXT] [--json] [--allow-special]

  --tokenizer P     a directory with tokenizer.json or vocab.json + merges.txt, or a
                    tokenizer.json, a .gguf file, or a llama2.c tokenizer .bin
  --file F          tokenize the contents of file F instead of TEXT
  --json            print {"ids": [...], "tokens": [...]} (tokens as the vocabulary writes them)
  --allow-special   encode special token strings (e.g. <|endoftext|>) in the text as special
                    tokens; without it, text containing one is refused`;

/** A token's text for display: its bytes as UTF-8, or \\xNN escapes when it holds part of a character. */
function showPiece(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const exact = new TextEncoder().encode(text);
  if (exact.length === bytes.length && exact.every((b, i) => b === bytes[i])) return escapeWhitespace(text);
  return Array.from(bytes, (b) => (b < 0x80 ? escapeWhitespace(String.fromCharCode(b)) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

function escapeWhitespace(s: string): string {
  return s.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

/** Words (runs of non-space) of the decoded text, each with the number of tokens that touch it. */
function tokensPerWord(pieces: Uint8Array[]): { word: string; tokens: number }[] {
  const ends: number[] = [];
  let total = 0;
  for (const p of pieces) ends.push((total += p.length));
  const all = new Uint8Array(total);
  pieces.forEach((p, i) => all.set(p, ends[i]! - p.length));
  const text = new TextDecoder().decode(all);
  const out: { word: string; tokens: number }[] = [];
  const enc = new TextEncoder();
  let byteAt = 0;
  let charAt = 0;
  for (const m of text.matchAll(/\S+/gu)) {
    byteAt += enc.encode(text.slice(charAt, m.index)).length;
    const start = byteAt;
    const end = start + enc.encode(m[0]).length;
    byteAt = end;
    charAt = m.index + m[0].length;
    let n = 0;
    for (let i = 0; i < pieces.length; i++) if (ends[i]! > start && ends[i]! - pieces[i]!.length < end) n++;
    out.push({ word: m[0], tokens: n });
  }
  return out;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      tokenizer: { type: 'string' },
      file: { type: 'string' },
      json: { type: 'boolean', default: false },
      'allow-special': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.tokenizer) throw new Error(`--tokenizer is required (there is no built-in default tokenizer yet)\n${USAGE}`);
  if (values.file !== undefined && positionals.length > 0) throw new Error('give either --file or TEXT, not both');
  let text: string;
  if (values.file !== undefined) {
    try {
      text = readFileSync(values.file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${values.file}: ${(err as Error).message}`);
    }
  } else if (positionals.length > 0) text = positionals.join(' ');
  else throw new Error(`no text: give TEXT or --file F\n${USAGE}`);

  const tok = loadTokenizer(values.tokenizer);
  let ids: number[];
  try {
    ids = tok.encode(text, { allowedSpecial: values['allow-special'] ? 'all' : 'none' });
  } catch (err) {
    const message = (err as Error).message;
    if (message.includes('special token')) throw new Error(`${message.split(';')[0]}; add --allow-special to encode it as a special token`);
    throw err;
  }
  if (values.json) {
    console.log(JSON.stringify({ ids, tokens: ids.map((id) => tok.idToToken(id) ?? null) }));
    return 0;
  }
  const pieces = ids.map((id) => tok.pieceBytes(id));
  const words = tokensPerWord(pieces);
  const bytes = pieces.reduce((n, p) => n + p.length, 0);
  const lines = [
    `tokenizer: ${tok.description}`,
    `tokens:    ${pieces.map(showPiece).join('│')}`,
    `ids:       ${ids.join(' ')}`,
  ];
  if (words.length > 0 && words.length <= 50) lines.push(`per word:  ${words.map((w) => `${w.word}(${w.tokens})`).join(' ')}`);
  lines.push(
    `${ids.length} tokens, ${words.length} words, ${words.length > 0 ? (ids.length / words.length).toFixed(2) : '-'} tokens per word, ` +
      `${bytes} bytes (${ids.length > 0 ? (bytes / ids.length).toFixed(2) : '-'} bytes per token)`,
  );
  console.log(lines.join('\n'));
  return 0;
}
