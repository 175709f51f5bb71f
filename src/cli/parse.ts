// The front of every command: its options parsed strictly (an unknown option or a missing value
// is an error naming it), -h/--help added, and the help text printed when asked.

import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;
type CommandConfig<O extends Options> = { args: string[]; options: O & typeof HELP_OPTION; strict: true; allowPositionals: boolean };
export type ParsedCommand<O extends Options> = ReturnType<typeof parseArgs<CommandConfig<O>>>;

/** argv parsed against options (plus --help); null when --help was given (the help is printed). */
export function parseCommand<const O extends Options>(argv: string[], options: O, help: string, opts: { positionals?: boolean } = {}): ParsedCommand<O> | null {
  const parsed = parseArgs<CommandConfig<O>>({ args: argv, options: { ...options, ...HELP_OPTION }, strict: true, allowPositionals: opts.positionals ?? true });
  if ((parsed.values as { help?: boolean }).help) {
    console.log(help);
    return null;
  }
  return parsed;
}
