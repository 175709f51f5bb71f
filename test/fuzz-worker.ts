// Child process for the bounded fuzz test: `node fuzz-worker.js TARGET SEED N` runs N mutated
// cases of one loader (see fuzz-targets.ts), printing "@case I WHAT" before each (so a parent that
// kills it for time or memory knows which case did it) and "@done {...}" with the tally at the end.

import { cleanScratch, TARGETS } from './fuzz-targets.js';

/** A refusal is clean when it is a plain Error (or a subclass of our own) with a message. */
function isCleanError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError || e instanceof ReferenceError) return false;
  return e.message.length >= 10;
}

const [target, seedArg, nArg] = process.argv.slice(2);
// `node --test dist/test/` also runs this file, without arguments: then there is nothing to do
if (target === undefined) process.exit(0);
const make = TARGETS[target];
if (!make) throw new Error(`unknown fuzz target ${target} (${Object.keys(TARGETS).join(', ')})`);
const t = make();
let loaded = 0, refused = 0, maxMs = 0, slowest = '';
const bad: string[] = [];
let i = 0;
for (const c of t.cases(Number(nArg), Number(seedArg))) {
  process.stdout.write(`@case ${i} ${c.what.slice(0, 300).replace(/\n/g, ' ')}\n`);
  const t0 = performance.now();
  try {
    c.run();
    loaded++;
  } catch (e) {
    if (isCleanError(e)) refused++;
    else bad.push(`case ${i} (${c.what.slice(0, 200)}): ${(e as Error)?.constructor?.name}: ${String((e as Error)?.message ?? e).slice(0, 300)}`);
  }
  const ms = performance.now() - t0;
  if (ms > maxMs) { maxMs = ms; slowest = `case ${i} (${c.what.slice(0, 120)})`; }
  i++;
}
cleanScratch();
process.stdout.write(`@done ${JSON.stringify({ target: t.name, cases: i, loaded, refused, bad, maxMs, slowest, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
