// Loads a user's reward function from a JavaScript module (Node): `export default (prompt, completion) => number`.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type RewardSource, rewardFromFunction } from './reward-source.js';

export async function loadRewardModule(path: string): Promise<RewardSource> {
  const full = resolve(path);
  if (!existsSync(full)) throw new Error(`reward function module '${path}' does not exist`);
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(full).href);
  } catch (err) {
    throw new Error(`reward function module '${path}' failed to load: ${(err as Error).message}`);
  }
  if (!('default' in mod)) throw new Error(`reward function ${path}: the module has no default export (export default (prompt, completion) => number)`);
  return rewardFromFunction(mod.default, path);
}
