// Reads a preference file (JSONL or a JSON array, see data.ts) from disk.

import { existsSync, readFileSync } from 'node:fs';
import { type PreferencePair, parsePreferenceData } from './data.js';

/** Every pair in the file, or an error naming the file, line and key of the first bad record. */
export function loadPreferenceFile(path: string): PreferencePair[] {
  if (!existsSync(path)) throw new Error(`preference data '${path}' does not exist`);
  return parsePreferenceData(readFileSync(path, 'utf8'), path);
}
