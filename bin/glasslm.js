#!/usr/bin/env node
// The `glasslm` command: a thin shell over dist/src/cli/main.js (built by `npm install`).
import { existsSync } from 'node:fs';
const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('glasslm: dist/ is missing. Run `npm install` (or `npm run build`) in the glasslm folder first.');
  process.exit(1);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
