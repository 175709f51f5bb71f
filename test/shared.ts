// Locates ../shared (reference outputs and corpora) for tests, and says clearly when it is absent.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: tests compile to dist/test/, so two levels up. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `../shared` beside the project root, or GLASSLM_SHARED when set. */
export const sharedDir = process.env.GLASSLM_SHARED ?? join(projectRoot, '..', 'shared');

/** The path under ../shared, or undefined when that file is missing. */
export function sharedPath(...parts: string[]): string | undefined {
  const path = join(sharedDir, ...parts);
  return existsSync(path) ? path : undefined;
}

/** A `skip` option for node:test: a message when the file is missing, false when present. */
export function skipUnlessShared(...parts: string[]): string | false {
  return sharedPath(...parts) ? false : `skipped: ${join(sharedDir, ...parts)} is absent (../shared is not beside this checkout)`;
}
