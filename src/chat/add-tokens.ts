// Making a base model ready for a chat template: the template's markers become special tokens
// of its vocabulary (new ids after the last one), and the model's token rows grow to match.

import { ByteLevelBPE } from '../tokenizer/bpe.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { Model } from '../models/model.js';
import { growVocabulary } from '../models/resize.js';
import { DEFAULT_CHAT_TOKENS } from './default.js';

export interface ChatTokensResult {
  model: Model;
  tokenizer: Tokenizer;
  /** Token string -> id, for every requested token (new or already present). */
  ids: Map<string, number>;
  /** How many tokens were new. */
  added: number;
}

/**
 * Adds `tokens` (default: the default template's <|im_start|> and <|im_end|>) as special tokens.
 * A token the vocabulary already has as a special token keeps its id. New ids start at the
 * tokenizer's vocabulary size; the model's vocabulary grows to cover them, the new embedding
 * (and untied head) rows set to the mean of the existing rows (growVocabulary). The model passed
 * in must not be used afterwards (its token rows are replaced).
 */
export function addChatTokens(model: Model, tokenizer: Tokenizer, tokens: readonly string[] = DEFAULT_CHAT_TOKENS): ChatTokensResult {
  const ids = new Map<string, number>();
  const fresh = new Map<string, number>();
  let next = tokenizer.vocabSize;
  for (const s of tokens) {
    if (typeof s !== 'string' || s === '') throw new Error('a chat token must be a non-empty string');
    const have = tokenizer.specialTokens.get(s);
    if (have !== undefined) ids.set(s, have);
    else if (!ids.has(s)) {
      if (tokenizer.tokenToId(s) !== undefined) throw new Error(`'${s}' is already an ordinary token of the vocabulary; it cannot become a special token`);
      ids.set(s, next);
      fresh.set(s, next++);
    }
  }
  if (fresh.size === 0) return { model, tokenizer, ids, added: 0 };
  if (!(tokenizer instanceof ByteLevelBPE)) throw new Error(`special tokens can be added to a byte-level BPE vocabulary only, not to a ${tokenizer.description}`);
  if (tokenizer.vocabSize > model.config.vocabSize) throw new Error(`the tokenizer has ${tokenizer.vocabSize} ids but the model only ${model.config.vocabSize}`);
  const grown = growVocabulary(model, Math.max(model.config.vocabSize, next));
  return { model: grown, tokenizer: tokenizer.withSpecialTokens(fresh), ids, added: fresh.size };
}
