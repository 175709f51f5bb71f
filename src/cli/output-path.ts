// Output paths that would destroy a user's input, refused before any work (Node only): a command's
// output must not be one of the files it reads (forward --save over the model, lens --html over the
// tokenizer, sft --out over the base model's folder), and a training run's --out must not be a
// folder that already holds a model it did not write (a Hugging Face folder's weights would be
// replaced). Paths are compared as files (the same inode) or resolved through symlinks, so ./a.bin,
// a.bin and a link to it agree.
//
//   refuseInputAsOutput('--save', values.save, { '--model': values.model }, 'file');
//   refuseModelInputs('--html', values.html, values);   // --model (or the built-in), --tokenizer, --lora
//   checkTrainingOut(v.out, { '--model': modelPath, '--tokenizer': v.tokenizer });

import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseLoraSpec } from '../lora/files.js';
import { MANIFEST_FILE } from '../train/checkpoint-commit.js';
import { STATE_FILE } from '../train/checkpoint.js';
import { BUILTIN_MODEL_DIR } from './model-args.js';

/** Where path really is: resolved, through symlinks for the part of it that exists. */
function realPath(path: string): string {
  const full = resolve(path);
  if (existsSync(full)) return realpathSync(full);
  const parent = dirname(full);
  return parent === full ? full : join(realPath(parent), basename(full));
}

/** Whether two paths name the same file or folder: the same inode when both exist (hard links too), else the same real path. */
function samePath(a: string, b: string): boolean {
  if (existsSync(a) && existsSync(b)) {
    const sa = statSync(a), sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  }
  return realPath(a) === realPath(b);
}

/** True when path exists and is a folder. */
function isFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * Throws, naming both paths, when `output` (written by `flag`) would overwrite an input: when it
 * is one of them, or, for a file output, an existing file directly in an input folder (a model
 * folder's weights or tokenizer). inputs: flag -> path (undefined: not given).
 */
export function refuseInputAsOutput(flag: string, output: string, inputs: Record<string, string | undefined>, kind: 'file' | 'folder'): void {
  const out = realPath(output);
  for (const [inputFlag, input] of Object.entries(inputs)) {
    if (input === undefined) continue;
    const inp = realPath(input);
    if (samePath(output, input)) throw new Error(`${flag} ${output} is the ${inputFlag} input: it would be overwritten; choose another ${flag}`);
    if (kind === 'file' && isFolder(inp) && existsSync(out) && dirname(out) === inp) {
      throw new Error(`${flag} ${output} is a file of the ${inputFlag} folder ${input}: it would be overwritten; choose another ${flag}`);
    }
  }
}

/** refuseInputAsOutput for a file written by a command that runs a model: --model (or the built-in one), --tokenizer, --lora. */
export function refuseModelInputs(flag: string, output: string, values: { model?: string; tokenizer?: string; lora?: string }): void {
  const inputs = { '--model': values.model ?? BUILTIN_MODEL_DIR, '--tokenizer': values.tokenizer, '--lora': values.lora === undefined ? undefined : parseLoraSpec(values.lora).dir };
  refuseInputAsOutput(flag, output, inputs, 'file');
}

/** Files that make a folder a model (Hugging Face, PEFT adapter), beside any *.gguf. */
const MODEL_FILES = ['config.json', 'model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'adapter_config.json', 'adapter_model.safetensors'];

/**
 * Throws when the training folder `out` already holds a model but no training run (no
 * train-state.safetensors, no checkpoint manifest): the run would replace those weights. A
 * folder with a run is left to the command, which resumes it with --resume and refuses it otherwise.
 */
export function refuseModelInOutDir(out: string): void {
  if (!isFolder(out)) return;
  if (existsSync(join(out, STATE_FILE)) || existsSync(join(out, MANIFEST_FILE))) return;
  const held = readdirSync(out).find((name) => MODEL_FILES.includes(name) || name.endsWith('.gguf'));
  if (held) throw new Error(`${out} already holds a model (${held}) that is not a training run to resume; choose another --out`);
}

/**
 * The checks of a training command's --out folder, before it loads or writes anything: not one
 * of its inputs, and not a folder holding a model other than a run to resume. (A model file in
 * the folder is caught by the second: the run would write model.safetensors beside it.)
 */
export function checkTrainingOut(out: string, inputs: Record<string, string | undefined>): void {
  refuseInputAsOutput('--out', out, inputs, 'folder');
  refuseModelInOutDir(out);
}
