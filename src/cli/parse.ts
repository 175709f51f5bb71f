// The front of every command: its options parsed strictly (an unknown option or a missing value
// is an error naming it), -h/--help added, and the help text printed when asked.

import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;
type CommandConfig<O extends Options> = { args: string[]; options: O & typeof HELP_OPTION; strict: true; allowPositionals: boolean };
export type ParsedCommand<O extends Options> = ReturnType<typeof parseArgs<CommandConfig<O>>>;

/** A negative number as an argument: -1, -0.5, -.5, -1e3, -Infinity. */
const NEGATIVE_NUMBER = /^-(\d|\.\d|Infinity$)/;

/**
 * Joins `--flag -1` into `--flag=-1` for options that take a value, so negative numbers parse
 * as values (node's parseArgs calls them ambiguous) and reach the option's own validation.
 */
export function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && i + 1 < argv.length && NEGATIVE_NUMBER.test(argv[i + 1])) {
      out.push(`${a}=${argv[++i]}`);
    } else {
      out.push(a);
    }
  }
  return out;
}

/** argv parsed against options (plus --help); null when --help was given (the help is printed). */
export function parseCommand<const O extends Options>(argv: string[], options: O, help: string, opts: { positionals?: boolean } = {}): ParsedCommand<O> | null {
  const parsed = parseArgs<CommandConfig<O>>({ args: joinNegativeValues(argv, options), options: { ...options, ...HELP_OPTION }, strict: true, allowPositionals: opts.positionals ?? true });
  if ((parsed.values as { help?: boolean }).help) {
    console.log(help);
    return null;
  }
  return parsed;
}
