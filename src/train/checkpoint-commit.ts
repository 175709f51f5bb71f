// Writing the files of one training step as one unit (Node only). A kill at any moment must
// leave a folder whose model.safetensors and train-state.safetensors belong to the same step.
//
//   1. each file is written complete under a step name: model.safetensors.step-12 (itself through
//      a temporary file renamed when flushed, so a step-named file is always whole);
//   2. checkpoint.json is replaced, atomically, by {"step": 12, "files": [...]}: the commit point;
//   3. the step-named files are renamed over the real names.
//
// recoverCheckpointDir, run before a folder is read or written again, rolls an interrupted step 3
// forward (the manifest names the step, so its files are renamed into place), drops step files
// that were never committed, and removes the temporary files of killed writes (*.tmp-PID).

import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

/** The manifest naming the step the folder's files belong to. */
export const MANIFEST_FILE = 'checkpoint.json';

const TEMPORARY = /\.tmp-\d+$/;
const STEP_FILE = /^(.+)\.step-(\d+)$/;

interface Manifest { step: number; files: string[] }

/** The folder's manifest, or undefined when it has none (a folder written before manifests). */
export function readManifest(dir: string): Manifest | undefined {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return undefined;
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message})`);
  }
  const { step, files } = (m ?? {}) as Partial<Manifest>;
  if (!Number.isSafeInteger(step) || step! < 0 || !Array.isArray(files) || !files.every((f) => typeof f === 'string' && !f.includes('/'))) {
    throw new Error(`${path} is not a checkpoint manifest ({"step": N, "files": [...]})`);
  }
  return { step: step!, files };
}

/** Writes files (name -> bytes) as the checkpoint of `step`, as one unit (see the top of this file). */
export function commitCheckpointFiles(dir: string, step: number, files: Record<string, Uint8Array | string>): void {
  const names = Object.keys(files);
  for (const name of names) writeFileAtomic(join(dir, `${name}.step-${step}`), files[name]);
  writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify({ step, files: names }) + '\n');
  for (const name of names) renameSync(join(dir, `${name}.step-${step}`), join(dir, name));
}

/**
 * Brings a folder back to one consistent step after a kill: step files of the committed step are
 * renamed into place, other step files and every *.tmp-PID file (also in subfolders one level
 * down, such as the token cache) are removed. Only the folder's owner may call this (see lock).
 */
export function recoverCheckpointDir(dir: string): void {
  if (!existsSync(dir)) return;
  const manifest = readManifest(dir);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (TEMPORARY.test(name)) {
      rmSync(path, { force: true });
      continue;
    }
    const m = STEP_FILE.exec(name);
    if (m) {
      if (manifest && Number(m[2]) === manifest.step && manifest.files.includes(m[1])) renameSync(path, join(dir, m[1]));
      else rmSync(path, { force: true });
      continue;
    }
    if (statSync(path).isDirectory()) {
      for (const inner of readdirSync(path)) if (TEMPORARY.test(inner)) rmSync(join(path, inner), { force: true });
    }
  }
}
