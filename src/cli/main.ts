// The glasslm command line: dispatches `glasslm <command> …` to src/cli/commands/<command>.ts.
// Each command module exports `summary` (one line) and `run(argv): Promise<number>` (the exit code).
// Commands are thin shells: argument parsing and printing only, no model math.

import { availableParallelism } from 'node:os';
import { selectBackend } from '../backend/select.js';
import { checkThreadCount } from '../backend/thread-limit.js';
import { setBackend } from '../tensor/engine.js';

export interface Command {
  summary: string;
  /** globals: --backend / --threads, for commands that pick their backend themselves (serve runs the model in a worker). */
  run(argv: string[], globals?: { backend?: string; threads?: number }): Promise<number>;
}

/** Command name -> module path, loaded lazily so `glasslm tokenize` does not load the model code. */
const COMMANDS: Record<string, string> = {
  demo: './commands/demo.js',
  forward: './commands/forward.js',
  tokenize: './commands/tokenize.js',
  generate: './commands/generate.js',
  info: './commands/info.js',
  convert: './commands/convert.js',
  train: './commands/train.js',
  sft: './commands/sft.js',
  merge: './commands/merge.js',
  chat: './commands/chat.js',
  eval: './commands/eval.js',
  lens: './commands/lens.js',
  attention: './commands/attention.js',
  attribute: './commands/attribute.js',
  patch: './commands/patch.js',
  neurons: './commands/neurons.js',
  vectors: './commands/vectors.js',
  experts: './commands/experts.js',
  serve: './commands/serve.js',
  dpo: './commands/dpo.js',
  reward: './commands/reward.js',
  score: './commands/score.js',
  rl: './commands/rl.js',
  compare: './commands/compare.js',
  web: './commands/web.js',
};

async function loadCommand(name: string): Promise<Command | undefined> {
  const path = COMMANDS[name];
  if (!path) return undefined;
  try {
    return (await import(path)) as Command;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(err).includes(path.slice(2))) return undefined;
    throw err;
  }
}

async function printHelp(): Promise<void> {
  const lines = [
    'usage: glasslm <command> [options]   (glasslm <command> --help for its options)',
    '',
    'global options: --backend auto|cpu|wasm (default auto: WebAssembly SIMD where it loads) --threads N (default: all cores)',
    '',
    'commands:',
  ];
  for (const name of Object.keys(COMMANDS)) {
    const cmd = await loadCommand(name);
    if (cmd) lines.push(`  ${name.padEnd(10)} ${cmd.summary}`);
  }
  console.log(lines.join('\n'));
}

/** Commands that run no model and so need no backend. */
const NO_BACKEND = new Set(['tokenize', 'info', 'convert', 'serve', 'web']);

/**
 * Takes the global options out of argv: --backend auto|cpu|wasm and --threads N, which every
 * model command accepts. Returns the remaining arguments.
 */
function takeGlobalOptions(argv: string[]): { rest: string[]; backend?: string; threads?: number } {
  const rest: string[] = [];
  let backend: string | undefined, threads: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (flag !== '--backend' && flag !== '--threads') {
      rest.push(argv[i]);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--backend') backend = value;
    else {
      threads = value.trim() === '' ? NaN : Number(value);
      checkThreadCount(threads, availableParallelism(), '--threads');
    }
  }
  return { rest, backend, threads };
}

/** Runs the CLI; returns the process exit code. Errors are printed as one clear line, never a stack. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    await printHelp();
    return name ? 0 : 1;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    console.error(`glasslm: unknown command '${name}'. Run 'glasslm --help' for the list.`);
    return 2;
  }
  try {
    const { rest, backend, threads } = takeGlobalOptions(args);
    if (!NO_BACKEND.has(name) && !rest.includes('--help') && !rest.includes('-h')) {
      const selected = await selectBackend(backend, threads);
      setBackend(selected.backend);
      if (backend || threads || selected.fellBack || process.env.GLASSLM_VERBOSE) console.error(selected.note);
    }
    return await cmd.run(rest, { backend, threads });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`glasslm ${name}: ${message}`);
    if (process.env.GLASSLM_DEBUG && err instanceof Error) console.error(err.stack);
    return 1;
  }
}
