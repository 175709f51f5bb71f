// Which checkpoint a set of opened files is, and the model + tokenizer built from their bytes by
// the library's loaders. (Temporary until the library's own bytes loader from the `split` branch
// is merged: this only dispatches on file names and magic numbers; no model math here.)

import { configFromHf, io, llama2cFromBuffer, modelFromTensors, tokenizerFromHfJson, CharTokenizer, type Model, type Tokenizer } from 'glasslm';

export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

function parseJson(f: NamedBytes): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(f.bytes));
  } catch (err) {
    throw new Error(`${f.name} is not valid JSON: ${(err as Error).message}`);
  }
}

export function modelFromFiles(files: NamedBytes[]): { model: Model; tokenizer: Tokenizer; format: string; dtypes: string[] } {
  const byName = (n: string) => files.find((f) => f.name === n || f.name.endsWith('/' + n));
  const config = byName('config.json');
  const weights = files.filter((f) => f.name.endsWith('.safetensors'));
  if (config && weights.length) {
    const cfg = configFromHf(parseJson(config) as Record<string, unknown>);
    const tensors = weights.flatMap((w) => [...io.readSafetensors(w.bytes).values()]);
    const tj = byName('tokenizer.json');
    if (!tj) throw new Error('the folder has no tokenizer.json');
    const json = parseJson(tj);
    const tokenizer = CharTokenizer.fromHfJson(json) ?? tokenizerFromHfJson(json);
    return { model: modelFromTensors(cfg, tensors), tokenizer, format: 'Hugging Face folder (safetensors)', dtypes: ['F32'] };
  }
  const bins = files.filter((f) => f.name.endsWith('.bin'));
  const ckpt = bins.find((f) => f.bytes.length > 28 && !/tok/i.test(f.name));
  if (ckpt) {
    const tok = bins.find((f) => f !== ckpt);
    if (!tok) throw new Error(`${ckpt.name} carries no tokenizer: open its tokenizer .bin (e.g. tok512.bin) with it`);
    const c = io.readLlama2c(ckpt.bytes);
    const model = modelFromTensors(configFromHf(io.llama2cToHfConfig(c.config)), c.tensors.values());
    return { model, tokenizer: llama2cFromBuffer(tok.bytes, tok.name, model.config.vocabSize), format: 'llama2.c checkpoint', dtypes: ['F32'] };
  }
  throw new Error(`cannot tell what these files are (${files.map((f) => f.name).join(', ')}): open a .gguf, a llama2.c .bin with its tokenizer .bin, or a folder with config.json, *.safetensors and tokenizer.json`);
}
