// Pre-tokenizers: split text into pieces ("words") before BPE runs on each piece.
//
// The patterns are given as Hugging Face writes them (Oniguruma syntax, as in tokenizer.json)
// and translated to JavaScript RegExp by `hfRegexToJs`:
// - `\s` / `\S` become `\p{White_Space}` / `\P{White_Space}`: Oniguruma's and Rust's `\s` is
//   Unicode White_Space, which JS's `\s` is not (JS adds U+FEFF and lacks U+0085).
// - `(?i:...)` groups (not in Node 20's RegExp) have their ASCII letters spelled out: `'s` -> `'[sS]`.

/** GPT-2's pattern (also used by ByteLevel pre-tokenizers with use_regex: true). */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** GPT-4's cl100k_base pattern as Llama-3 writes it in tokenizer.json. */
export const CL100K_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** Qwen2's pattern: cl100k's, but digits one at a time. */
export const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export const NAMED_PATTERNS: Readonly<Record<string, string>> = {
  gpt2: GPT2_PATTERN,
  cl100k: CL100K_PATTERN,
  qwen2: QWEN2_PATTERN,
};

/** The name of a known pattern, or undefined. */
export function patternName(pattern: string): string | undefined {
  for (const [name, p] of Object.entries(NAMED_PATTERNS)) if (p === pattern) return name;
  return undefined;
}

const SYNTAX_CHARS = new Set('^$\\.*+?()[]{}|/-');

/**
 * Translates a Hugging Face (Oniguruma) regex to a JavaScript RegExp source for the 'u' flag.
 * Example: hfRegexToJs("(?i:'s)|\\s+") === "(?:'[sS])|\\p{White_Space}+".
 * Throws on constructs JS cannot express the same way (possessive quantifiers).
 */
export function hfRegexToJs(src: string): string {
  let out = '';
  let inClass = false;
  const caseless: number[] = []; // paren depth at which each open (?i: group started
  let depth = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const e = src[i + 1];
      if (e === undefined) throw new Error(`pre-tokenizer regex ends with a lone backslash: ${src}`);
      i++;
      if (e === 's') out += '\\p{White_Space}';
      else if (e === 'S') out += '\\P{White_Space}';
      else if (e === 'p' || e === 'P') {
        const close = src.indexOf('}', i);
        if (src[i + 1] !== '{' || close < 0) throw new Error(`pre-tokenizer regex: unsupported \\${e} escape in ${src}`);
        out += src.slice(i - 1, close + 1);
        i = close;
      } else if (/[A-Za-z0-9]/.test(e)) out += '\\' + e; // \r \n \t \d \w \x.. \u.. and back-references
      else if (SYNTAX_CHARS.has(e)) out += '\\' + e;
      else out += `\\u{${e.codePointAt(0)!.toString(16)}}`; // identity escape such as \' (invalid in 'u' mode)
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (src[i + 1] === '^') out += src[++i];
      if (src[i + 1] === ']') out += src[++i]; // a leading ']' is a literal in Oniguruma
      continue;
    }
    if (c === '(') {
      depth++;
      if (src.startsWith('(?i:', i)) {
        caseless.push(depth);
        out += '(?:';
        i += 3;
        continue;
      }
      if (src.startsWith('(?i)', i)) throw new Error(`pre-tokenizer regex: a (?i) flag group is not supported: ${src}`);
      out += c;
      continue;
    }
    if (c === ')') {
      if (caseless.length > 0 && caseless[caseless.length - 1] === depth) caseless.pop();
      depth--;
      out += c;
      continue;
    }
    if ((c === '+' || c === '?' || c === '*' || c === '}') && src[i + 1] === '+') {
      throw new Error(`pre-tokenizer regex: possessive quantifier '${c}+' is not supported: ${src}`);
    }
    if (caseless.length > 0 && /[A-Za-z]/.test(c)) {
      out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
      continue;
    }
    out += c;
  }
  return out;
}

/** Splits text into pieces; every character of the text lands in exactly one piece, in order. */
export type Pretokenizer = (text: string, emit: (piece: string) => void) => void;

/**
 * A pre-tokenizer from an HF regex ('Isolated' behaviour: matches and the gaps between them are
 * both pieces, so the pieces always concatenate back to the text).
 */
export function regexPretokenizer(hfPattern: string): Pretokenizer {
  let re: RegExp;
  try {
    re = new RegExp(hfRegexToJs(hfPattern), 'gu');
  } catch (err) {
    throw new Error(`pre-tokenizer regex cannot be compiled: ${(err as Error).message}`);
  }
  return (text, emit) => {
    re.lastIndex = 0;
    let last = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const piece = m[0];
      if (piece.length === 0) {
        re.lastIndex++; // an empty match: step over it
        continue;
      }
      if (m.index > last) emit(text.slice(last, m.index));
      emit(piece);
      last = m.index + piece.length;
    }
    if (last < text.length) emit(text.slice(last));
  };
}

/** Runs pre-tokenizers one after another (HF's Sequence): each splits the pieces of the last. */
export function sequencePretokenizer(steps: readonly Pretokenizer[]): Pretokenizer {
  if (steps.length === 1) return steps[0]!;
  return (text, emit) => {
    let pieces = [text];
    for (const step of steps) {
      const next: string[] = [];
      for (const p of pieces) step(p, (q) => next.push(q));
      pieces = next;
    }
    for (const p of pieces) emit(p);
  };
}

/** The identity pre-tokenizer: the whole text is one piece. */
export const wholeText: Pretokenizer = (text, emit) => {
  if (text.length > 0) emit(text);
};

/** Pre-tokenizes into an array (for tests and tools). */
export function pretokenize(pre: Pretokenizer, text: string): string[] {
  const out: string[] = [];
  pre(text, (p) => out.push(p));
  return out;
}
