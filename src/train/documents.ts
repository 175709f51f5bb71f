// Documents in a training text: stories separated by a separator such as `<|endoftext|>`, and the
// held-out tail of a text cut at a document boundary, so that no document is split between
// training and validation. Both `glasslm train` and `glasslm eval --documents` cut the same way.

/** The separator between documents in the TinyStories files (and GPT-2's end of text). */
export const DOCUMENT_SEPARATOR = '<|endoftext|>';

export interface TextDocument {
  /** The document's text, surrounding whitespace removed. */
  text: string;
  /** Where that text starts in the whole text (a UTF-16 index). */
  start: number;
}

/** The non-empty documents of a text, in order, each trimmed of the whitespace around it. */
export function splitDocuments(text: string, separator = DOCUMENT_SEPARATOR): TextDocument[] {
  if (separator === '') throw new Error('the document separator must not be empty');
  const docs: TextDocument[] = [];
  let from = 0;
  while (from <= text.length) {
    const at = text.indexOf(separator, from);
    const end = at < 0 ? text.length : at;
    const piece = text.slice(from, end);
    const lead = piece.length - piece.trimStart().length;
    const trimmed = piece.trim();
    if (trimmed !== '') docs.push({ text: trimmed, start: from + lead });
    if (at < 0) break;
    from = at + separator.length;
  }
  return docs;
}

/**
 * The index of the first held-out document: the first one that starts in the last `fraction` of
 * the text (by characters). Documents before it train; it and those after it are held out.
 * Returns docs.length when none starts there (all train).
 */
export function firstHeldOutDocument(docs: readonly TextDocument[], textLength: number, fraction: number): number {
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`the held-out fraction must be in [0, 1), got ${fraction}`);
  if (fraction === 0) return docs.length;
  const cut = Math.floor(textLength * (1 - fraction));
  const i = docs.findIndex((d) => d.start >= cut);
  return i < 0 ? docs.length : i;
}
