// Hugging Face PEFT's LoRA layout: adapter_config.json (LoraConfig's fields) and
// adapter_model.safetensors with, for every adapted module,
//   base_model.model.<module>.lora_A.weight  (r, in)
//   base_model.model.<module>.lora_B.weight  (out, r)
// Objects in and out here (browser-safe); ./files.ts reads and writes the folder.

import type { ModelConfig } from '../models/config.js';
import type { NamedTensor } from '../io/types.js';
import * as op from '../ops/index.js';
import { keep } from '../tensor/engine.js';
import { writeSafetensors } from '../io/safetensors.js';
import { type LoraConfig, type LoraLayer, LoraAdapter, loraScale, peftNames } from './adapter.js';
import { linearModules, matchesTarget } from './modules.js';

type Json = Record<string, unknown>;

/** adapter_config.json for an adapter (PEFT LoraConfig, task CAUSAL_LM). */
export function peftConfig(adapter: LoraAdapter, modelConfig: ModelConfig, baseModel = ''): Json {
  const c = adapter.config;
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: c.rank,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    target_modules: c.targets === 'all-linear' ? 'all-linear' : [...c.targets],
    fan_in_fan_out: linearModules(modelConfig).some((m) => m.conv1d), // GPT-2's Conv1D stores weights (in, out)
    bias: 'none',
    use_rslora: c.rslora === true,
    use_dora: false,
    init_lora_weights: true,
    inference_mode: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
  };
}

/** The adapter's tensors under PEFT's names, A then B per module. */
export function peftTensors(adapter: LoraAdapter): NamedTensor[] {
  const out: NamedTensor[] = [];
  for (const [module, l] of adapter.layers) {
    const n = peftNames(module);
    out.push({ name: n.A, shape: [...l.A.shape], data: Float32Array.from(l.A.floats()) });
    out.push({ name: n.B, shape: [...l.B.shape], data: Float32Array.from(l.B.floats()) });
  }
  return out;
}

/** A pattern's value for a module (PEFT's rank_pattern / alpha_pattern: keys match a name's end). */
function patternValue(pattern: unknown, module: string): number | undefined {
  if (typeof pattern !== 'object' || pattern === null) return undefined;
  for (const [key, v] of Object.entries(pattern as Json)) if (typeof v === 'number' && matchesTarget(module, key)) return v;
  return undefined;
}

/**
 * Reads a PEFT LoRA adapter for a model: the config (what is not supported is an error, never
 * ignored) and its tensors, checked against the model's modules and shapes. `what` names the source.
 */
export function adapterFromPeft(configJson: unknown, tensors: ReadonlyMap<string, NamedTensor>, modelConfig: ModelConfig, what = 'adapter'): LoraAdapter {
  if (typeof configJson !== 'object' || configJson === null) throw new Error(`${what}: adapter_config.json must be an object`);
  const c = configJson as Json;
  if (c.peft_type !== 'LORA') throw new Error(`${what}: peft_type ${JSON.stringify(c.peft_type)} is not supported (LORA)`);
  if (c.use_dora === true) throw new Error(`${what}: DoRA adapters (use_dora) are not supported`);
  if (c.bias !== undefined && c.bias !== 'none') throw new Error(`${what}: bias '${String(c.bias)}' is not supported (none)`);
  if (c.modules_to_save != null && (!Array.isArray(c.modules_to_save) || c.modules_to_save.length > 0)) throw new Error(`${what}: modules_to_save is not supported`);
  const rank = c.r, alpha = c.lora_alpha;
  if (typeof rank !== 'number' || typeof alpha !== 'number') throw new Error(`${what}: 'r' and 'lora_alpha' must be numbers`);
  const targets = c.target_modules === 'all-linear' ? 'all-linear' : Array.isArray(c.target_modules) ? c.target_modules.map(String) : typeof c.target_modules === 'string' ? [c.target_modules] : null;
  if (!targets) throw new Error(`${what}: target_modules must be a list of names, a name, or 'all-linear'`);
  const config: LoraConfig = { rank, alpha, dropout: typeof c.lora_dropout === 'number' ? c.lora_dropout : 0, targets, rslora: c.use_rslora === true };
  const modules = new Map(linearModules(modelConfig).map((m) => [m.name, m]));
  const layers = new Map<string, LoraLayer>();
  const seen = new Set<string>();
  for (const name of tensors.keys()) {
    const m = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/.exec(name);
    if (!m) throw new Error(`${what}: tensor '${name}' is not a LoRA weight (base_model.model.<module>.lora_A.weight / lora_B.weight)`);
    seen.add(m[1]);
  }
  for (const module of seen) {
    const lin = modules.get(module);
    if (!lin) throw new Error(`${what}: adapts '${module}', which is not a linear layer of this model`);
    const n = peftNames(module);
    const a = tensors.get(n.A), b = tensors.get(n.B);
    if (!a || !b) throw new Error(`${what}: '${module}' needs both lora_A and lora_B`);
    const r = a.shape[0];
    if (a.shape.length !== 2 || a.shape[1] !== lin.in) throw new Error(`${what}: ${n.A} has shape [${a.shape}], expected [r, ${lin.in}]`);
    if (b.shape.length !== 2 || b.shape[0] !== lin.out || b.shape[1] !== r) throw new Error(`${what}: ${n.B} has shape [${b.shape}], expected [${lin.out}, ${r}]`);
    const layerAlpha = patternValue(c.alpha_pattern, module) ?? alpha;
    const t = (x: NamedTensor) => keep(op.tensor(Float32Array.from(x.data), x.shape));
    layers.set(module, { module: lin, A: t(a), B: t(b), scale: loraScale(layerAlpha, r, config.rslora) });
  }
  if (layers.size === 0) throw new Error(`${what}: holds no LoRA weights`);
  return new LoraAdapter(config, layers);
}

/** The adapter's folder as files (name -> bytes): adapter_model.safetensors, then adapter_config.json. */
export function peftFiles(adapter: LoraAdapter, modelConfig: ModelConfig, baseModel = ''): Map<string, Uint8Array> {
  const enc = new TextEncoder();
  return new Map([
    ['adapter_model.safetensors', writeSafetensors(peftTensors(adapter), { format: 'pt' })],
    ['adapter_config.json', enc.encode(JSON.stringify(peftConfig(adapter, modelConfig, baseModel), null, 2) + '\n')],
  ]);
}
