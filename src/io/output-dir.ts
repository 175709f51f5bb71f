// Creating an output folder (Node only) with clear errors: a path through a file, a read-only
// place or a file system that takes no new folders is said in words, not as a raw ENOENT/EACCES.
// Node's mkdirSync({ recursive: true }) loops forever where a file system answers ENOENT to a
// folder whose parent exists (/proc does), so the missing levels are made one at a time here.

import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Creates dir (and its parents) for writing, or says clearly why it cannot be. */
export function makeOutputDir(dir: string): void {
  // the nearest existing ancestor must be a folder we can write in; the rest is created one level
  // at a time (Node's recursive mkdir loops forever where a file system refuses with ENOENT, as /proc does)
  const missing: string[] = [];
  for (let p = dir; ; p = dirname(p)) {
    if (existsSync(p)) {
      if (!statSync(p).isDirectory()) throw new Error(`the output folder ${dir} cannot be created: ${p} is a file, not a folder`);
      break;
    }
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(p).isDirectory()) continue; // made by someone else meanwhile
      const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied'
        : code === 'EROFS' ? 'read-only file system'
          : code === 'ENOENT' ? `${dirname(p)} does not take new folders`
            : (e as Error).message;
      throw new Error(`cannot create the output folder ${dir}: ${why}`);
    }
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new Error(`cannot write in the output folder ${dir}: it is read-only (permission denied)`);
  }
}

/** Why a file cannot be written at path, in words (for an errno code from open/mkdir). */
export function whyNotWritable(path: string, code: string | undefined): string {
  if (code === 'ENOENT') return existsSync(dirname(path)) ? `its folder ${dirname(path)} takes no new files` : `its folder ${dirname(path)} does not exist`;
  if (code === 'ENOTDIR') return 'a part of the path is a file, not a folder';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOSPC') return 'the disk is full';
  return code ?? 'unknown error';
}

/**
 * Checks, before any work, that a file can be written at path (an output flag such as --out or
 * --html): its folder exists and is writable, and path is not a folder. Throws naming the flag.
 */
export function checkOutputFile(path: string, flag: string): void {
  const dir = dirname(path);
  if (existsSync(path) && statSync(path).isDirectory()) throw new Error(`${flag} ${path}: it is a folder, not a file`);
  if (!existsSync(dir)) {
    for (let p = dirname(dir); p !== dirname(p); p = dirname(p)) {
      if (existsSync(p) && !statSync(p).isDirectory()) throw new Error(`${flag} ${path}: ${p} is a file, not a folder`);
    }
    throw new Error(`${flag} ${path}: its folder ${dir} does not exist`);
  }
  if (!statSync(dir).isDirectory()) throw new Error(`${flag} ${path}: ${dir} is a file, not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new Error(`${flag} ${path}: cannot write in ${dir} (read-only or permission denied)`);
  }
}
