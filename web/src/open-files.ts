// A model opened from files (fetched, or picked from disk) through the library's bytes loaders:
// the format is detected from the files' contents; no model math here.

import { describeCheckpointFiles, loadModelFromFiles, loadTokenizerFromFiles, type Model, type Tokenizer } from 'glasslm';

export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

const FORMAT_NAMES: Record<string, string> = { safetensors: 'Hugging Face folder (safetensors)', gguf: 'GGUF', 'llama2.c': 'llama2.c checkpoint' };

export function modelFromFiles(list: NamedBytes[]): { model: Model; tokenizer: Tokenizer; format: string; dtypes: string[] } {
  // a folder picked from disk names its files "folder/config.json": the loaders want the file names
  const files = new Map<string, Uint8Array>();
  for (const f of list) {
    const name = f.name.slice(f.name.lastIndexOf('/') + 1);
    if (files.has(name)) throw new Error(`two files are named ${name}: open one model at a time`);
    if (f.bytes.length === 0) throw new Error(`${name} is empty (0 bytes): was it fully downloaded or copied?`);
    files.set(name, f.bytes);
  }
  const model = loadModelFromFiles(files); // first: its errors name the file at fault (config.json before the weights)
  const described = describeCheckpointFiles(files);
  let tokenizer: Tokenizer;
  try {
    tokenizer = loadTokenizerFromFiles(files, { vocabSize: model.config.vocabSize });
  } catch (err) {
    model.dispose();
    throw new Error(`the model opened, but its tokenizer did not: ${(err as Error).message}${described.format === 'llama2.c' ? ' (open the tokenizer .bin, e.g. tok512.bin, together with the model)' : ''}`);
  }
  return { model, tokenizer, format: FORMAT_NAMES[described.format] ?? described.format, dtypes: Object.keys(described.dtypes) };
}
