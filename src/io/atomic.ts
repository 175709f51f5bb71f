// Writing files atomically (Node only): into a temporary file beside the target, flushed to disk,
// renamed at the end, so a crash, a kill or an error never leaves a half-written file under the
// real name: a reader finds the old file or the new one.

import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { whyNotWritable } from './output-dir.js';

/** Calls write(fd) on a temporary file in the same folder, then renames it to path. */
export function writeAtomically(path: string, write: (fd: number) => void): void {
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw new Error(`cannot write ${path}: ${whyNotWritable(path, (e as NodeJS.ErrnoException).code)}`);
  }
  try {
    write(fd);
    fsyncSync(fd);
    closeSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  renameSync(tmp, path);
}

/** Writes all of bytes at the file's current position (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, Math.min(1 << 28, bytes.length - done));
}

/** Replaces path with data, atomically. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  writeAtomically(path, (fd) => writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data));
}
