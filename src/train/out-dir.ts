// The --out folder of a training run (Node only): checked before anything is written (a file, or
// a folder that cannot be written, is a clear error, not a raw ENOENT/EACCES), and owned by one
// run at a time through a lock file holding its PID. A lock whose process is gone (a killed run)
// is stale and taken over, so a kill never leaves a folder stuck.

import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recoverCheckpointDir } from './checkpoint-commit.js';

export const LOCK_FILE = 'train.lock';

export { makeOutputDir as prepareOutDir } from '../io/output-dir.js';
import { makeOutputDir as prepareOutDir } from '../io/output-dir.js';

/** True when a process with this PID exists (signal 0 only checks; EPERM means it exists but is not ours). */
function alive(pid: number): boolean {
  if (pid === process.pid) return false; // this process runs one training loop at a time: an earlier one ended
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes dir for this process: creates dir/train.lock holding the PID, refusing when a live process
 * holds it and replacing the lock of a dead one. Returns the release function.
 */
export function lockOutDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
        } catch {
          // already gone: nothing to release
        }
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new Error(`cannot write the lock file ${path}: ${(e as Error).message}`);
    }
    const holder = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    if (Number.isSafeInteger(holder) && holder > 0 && alive(holder)) {
      throw new Error(`${dir} is in use by another training run (PID ${holder}, see ${LOCK_FILE}): wait for it to finish, or choose another --out`);
    }
    rmSync(path, { force: true }); // stale: its process is gone
  }
  throw new Error(`${dir}: another run took the lock ${path} at the same moment; try again`);
}

/**
 * Runs fn as the one owner of the output folder `dir`: creates it (or says clearly why it cannot
 * be), takes its lock, brings it back to one consistent step after a killed run (temporary files
 * removed, an interrupted commit finished: ./checkpoint-commit.ts), and releases the lock after
 * fn, whether it returned or threw. Every training command (train, sft, dpo, reward, rl) runs so.
 */
export function withOutDir<T>(dir: string, fn: () => T): T {
  const existed = existsSync(dir);
  prepareOutDir(dir);
  const release = lockOutDir(dir);
  let result: T;
  try {
    recoverCheckpointDir(dir);
    result = fn();
  } catch (e) {
    release();
    // a run refused before it wrote anything leaves no empty folder behind
    if (!existed && readdirSync(dir).length === 0) rmdirSync(dir);
    throw e;
  }
  release();
  return result;
}
