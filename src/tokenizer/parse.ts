// Small helpers for parsing vocabulary files with errors that say what is wrong and where
// (reading them from disk is in ./load-file.ts).

/** Parses JSON, naming the file when it is malformed. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A {token: id} object as a Map, checking that every id is a non-negative integer. */
export function vocabFromObject(obj: unknown, what: string): Map<string, number> {
  if (!isRecord(obj)) throw new Error(`${what} must be a JSON object of {token: id}`);
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(obj)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new Error(`${what}: token '${token}' has id ${JSON.stringify(id)}, not a non-negative integer`);
    }
    vocab.set(token, id);
  }
  return vocab;
}

/** Splits one "a b" merge line (GPT-2's merges.txt and GGUF's tokenizer.ggml.merges). */
export function splitMergeLine(line: string, where: string): [string, string] {
  const space = line.indexOf(' ');
  if (space <= 0 || space === line.length - 1 || line.indexOf(' ', space + 1) >= 0) {
    throw new Error(`${where}: expected two tokens separated by one space, got ${JSON.stringify(line)}`);
  }
  return [line.slice(0, space), line.slice(space + 1)];
}
