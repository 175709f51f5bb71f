// `glasslm merge`: fold a LoRA adapter into a model's weights, or export it for llama.cpp.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadChatTemplate } from '../../chat/load.js';
import { tokenizerConfigFields } from '../../chat/sources.js';
import { parseLoraSpec, loadLora, saveLoraGguf } from '../../lora/files.js';
import { saveGgufModel, saveHfModel } from '../../models/save-file.js';
import { loadModelAndTokenizer } from '../model-args.js';
import { parseCommand } from '../parse.js';
import { refuseModelInputs } from '../output-path.js';
import { makeOutputDir } from '../../io/output-dir.js';

export const summary = 'fold a LoRA adapter into the weights (--out), or write it as a llama.cpp GGUF adapter (--gguf-adapter)';

const HELP = `usage: glasslm merge --lora DIR[:S] [--model M] (--out DIR|FILE.gguf | --gguf-adapter FILE.gguf)

  --model M              the base model the adapter was trained on (default: the built-in model)
  --tokenizer T          its tokenizer (default: the model's own)
  --lora DIR[:S]         a PEFT adapter folder (adapter_config.json + adapter_model.safetensors), scale times S
  --out DIR | FILE.gguf  the merged model (W + scale·B·A): a Hugging Face folder, or one GGUF file
  --gguf-adapter FILE    the adapter itself as a GGUF LoRA file for llama.cpp (run it over the base GGUF)`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, lora: { type: 'string' }, out: { type: 'string' }, 'gguf-adapter': { type: 'string' },
  }, HELP, { positionals: false });
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.lora) throw new Error('--lora DIR is required');
  if (!v.out === !v['gguf-adapter']) throw new Error('give one of --out (merged model) or --gguf-adapter (llama.cpp adapter file)');
  const written = v.out ?? v['gguf-adapter']!;
  refuseModelInputs(v.out ? '--out' : '--gguf-adapter', written, { model: v.model, tokenizer: v.tokenizer, lora: v.lora });
  const { model, tokenizer } = loadModelAndTokenizer({ model: v.model, tokenizer: v.tokenizer, dtype: 'f32' });
  const { dir, multiplier } = parseLoraSpec(v.lora);
  const adapter = loadLora(dir, model.config);
  adapter.multiplier = multiplier;
  if (v['gguf-adapter']) {
    saveLoraGguf(adapter, v['gguf-adapter'], model.config);
    console.log(`wrote ${v['gguf-adapter']}: ${adapter.layers.size} adapted weights, rank ${adapter.config.rank}, alpha ${adapter.config.alpha} (llama.cpp: --lora ${v['gguf-adapter']} over the base GGUF)`);
    return 0;
  }
  adapter.mergeInto(model);
  const out = v.out!;
  if (out.endsWith('.gguf')) saveGgufModel(model, out, { tokenizer });
  else {
    if (existsSync(join(out, 'model.safetensors'))) throw new Error(`${out} already holds a model; choose another --out`);
    makeOutputDir(out);
    saveHfModel(model, out, tokenizer);
    // keep the chat template the adapter was trained with
    const template = loadChatTemplate(dir);
    if (template) writeFileSync(join(out, 'tokenizer_config.json'), JSON.stringify(tokenizerConfigFields(template), null, 2) + '\n');
  }
  console.log(`merged ${adapter.layers.size} LoRA layers (scale ×${multiplier}) into ${out}`);
  return 0;
}
