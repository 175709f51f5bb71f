// Token ids read from a file: each id names one token, and ids stay dense and small. A vocabulary
// where two tokens share an id encodes text as the wrong token (" the" as "!"), and one id of 1e9
// or 2^31 makes a 1e9-token vocabulary out of a few hundred entries.

/** Largest token id accepted (real vocabularies stay below 2^18). */
export const MAX_TOKEN_ID = (1 << 24) - 1;

/**
 * Throws unless every id in `groups` (name -> id maps, e.g. the vocabulary and the added tokens)
 * is at most MAX_TOKEN_ID, no two different strings share an id, and at most half of the id range
 * 0..max is unused. The same string under the same id in two groups is allowed (an added token
 * that repeats its vocabulary entry).
 */
export function checkTokenIds(groups: readonly { name: string; ids: ReadonlyMap<string, number> }[], what: string): void {
  const owner = new Map<number, { token: string; group: string }>();
  let maxId = -1;
  for (const { name, ids } of groups) {
    for (const [token, id] of ids) {
      if (!Number.isSafeInteger(id) || id < 0) throw new Error(`${what}: ${name} token ${JSON.stringify(token)} has id ${id}, not a non-negative integer`);
      if (id > MAX_TOKEN_ID) throw new Error(`${what}: ${name} token ${JSON.stringify(token)} has id ${id}, larger than any vocabulary (at most ${MAX_TOKEN_ID})`);
      const prev = owner.get(id);
      if (prev && prev.token !== token) {
        throw new Error(`${what}: id ${id} is given twice: to ${prev.group} token ${JSON.stringify(prev.token)} and to ${name} token ${JSON.stringify(token)}`);
      }
      if (!prev) owner.set(id, { token, group: name });
      if (id > maxId) maxId = id;
    }
  }
  if (maxId + 1 > 2 * owner.size + 1024) {
    throw new Error(`${what}: ids run up to ${maxId} but only ${owner.size} are used: the vocabulary would be mostly holes (a corrupt id?)`);
  }
}
