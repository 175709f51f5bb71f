// Saving models to disk (Node only): the files of ./save.ts, written atomically; the safetensors
// and GGUF data are streamed tensor by tensor (no copy of the whole file in memory).

import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { writeGgufFile } from '../io/gguf/write-file.js';
import { writeSafetensorsFile } from '../io/safetensors-file.js';
import { ByteLevelBPE } from '../tokenizer/bpe.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { Model } from './model.js';
import { type SaveGgufOptions, checkHfTokenizer, ggufToWrite, hfConfigText, hfTokenizerText, namedParams } from './save.js';
import { makeOutputDir } from '../io/output-dir.js';

/**
 * Writes dir/config.json and dir/model.safetensors (and dir/tokenizer.json for a byte-level BPE),
 * the layout `loadModel(dir)` and transformers' from_pretrained read.
 */
export function saveHfModel(model: Model, dir: string, tokenizer?: Tokenizer): void {
  checkHfTokenizer(tokenizer);
  makeOutputDir(dir);
  writeSafetensorsFile(join(dir, 'model.safetensors'), namedParams(model), { format: 'pt' });
  writeFileAtomic(join(dir, 'config.json'), hfConfigText(model));
  if (tokenizer instanceof ByteLevelBPE) writeFileAtomic(join(dir, 'tokenizer.json'), hfTokenizerText(tokenizer));
}

/** Writes the model as one GGUF file at path (HF names -> llama.cpp names and layouts). */
export function saveGgufModel(model: Model, path: string, opts: SaveGgufOptions = {}): void {
  writeGgufFile(path, ggufToWrite(model, opts));
}

export { type GgufDtype, type SaveGgufOptions, ggufTensorType, tokenizerToGgufMetadata } from './save.js';
