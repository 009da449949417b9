import { parseArgs, type ParseArgsConfig } from 'node:util';
import { writeText, type CliIo } from '../../../client/src/cli/io.js';

/**
 * The `ams-conformance` command table, in the style of `ams-client`'s: each command declares its
 * options, the usage text is generated from them, a wrong command line is one line and exit 2.
 */
export const PROGRAM = 'ams-conformance';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The work could not be done at all (endpoint unreachable, emulator would not start): exit 1. */
export class CommandFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandFailure';
  }
}

export interface OptionSpec {
  readonly name: string;
  readonly type: 'string' | 'boolean';
  readonly placeholder?: string;
  readonly required?: boolean;
  /** May be given more than once (`--suite a --suite b`). */
  readonly multiple?: boolean;
  readonly description: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly details?: string;
  readonly options: readonly OptionSpec[];
  /** Words after `--`, e.g. the client command of validate-client. */
  readonly rest?: { placeholder: string; required: boolean; description: string };
  /** Returns the exit code. */
  run(parsed: ParsedCommandLine, io: CliIo): Promise<number>;
}

export class ParsedCommandLine {
  constructor(
    private readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>,
    readonly rest: readonly string[],
  ) {}

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  strings(name: string): string[] {
    const value = this.values[name];
    return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }
}

const HELP: OptionSpec = { name: 'help', type: 'boolean', description: 'show this help' };

/** Run one command line; usage errors are thrown as UsageError with the command they belong to. */
export async function dispatch(commands: readonly CommandSpec[], argv: readonly string[], io: CliIo): Promise<number> {
  const [word, ...rest] = argv;
  const names = commands.map((c) => c.name).join(', ');
  if (word === undefined) throw new UsageError(`no command given (commands: ${names})`);
  if (word === '--help' || word === '-h' || word === 'help') {
    await writeText(io.stdout, programUsage(commands));
    return EXIT_OK;
  }
  const command = commands.find((c) => c.name === word);
  if (!command) throw new UsageError(`unknown command '${word}' (commands: ${names})`);
  const dashDash = rest.indexOf('--');
  const own = dashDash >= 0 ? rest.slice(0, dashDash) : rest;
  const after = dashDash >= 0 ? rest.slice(dashDash + 1) : [];
  const parsed = parse(command, own, after);
  if (parsed.flag('help')) {
    await writeText(io.stdout, commandUsage(command));
    return EXIT_OK;
  }
  return command.run(parsed, io);
}

function parse(command: CommandSpec, argv: readonly string[], rest: readonly string[]): ParsedCommandLine {
  const config: ParseArgsConfig['options'] = {};
  for (const spec of [...command.options, HELP]) {
    config[spec.name] = spec.name === 'help' ? { type: 'boolean', short: 'h' } : { type: spec.type, multiple: spec.multiple ?? false };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err, command), command.name);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values['help'] === true) return new ParsedCommandLine(values, rest);
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const spec = command.options.find((o) => o.name === token.name);
    // The last of two values silently winning hides typos in scripts; refuse instead.
    if (seen.has(token.name) && !spec?.multiple) throw new UsageError(`--${token.name} is given more than once`, command.name);
    seen.add(token.name);
  }
  for (const spec of command.options) {
    if (spec.required && values[spec.name] === undefined) {
      throw new UsageError(`missing --${spec.name}${spec.placeholder ? ` ${spec.placeholder}` : ''} (${spec.description})`, command.name);
    }
  }
  if (command.rest?.required && rest.length === 0) throw new UsageError(`missing -- ${command.rest.placeholder} (${command.rest.description})`, command.name);
  if (!command.rest && rest.length > 0) throw new UsageError(`'${PROGRAM} ${command.name}' takes nothing after --`, command.name);
  return new ParsedCommandLine(values, rest);
}

function parseArgsMessage(err: unknown, command: CommandSpec): string {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split('\n')[0]!.replace(/\.$/, '');
  const missing = /^Option '(--[\w-]+)(?: <value>)?' argument missing$/.exec(first);
  if (missing) return `${missing[1]} needs a value`;
  const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous$/.exec(first);
  if (ambiguous) return `${ambiguous[1]} needs a value; a value starting with '-' must be written ${ambiguous[1]}=VALUE`;
  if (/^Unexpected argument/.test(first) && command.rest) return `${first.charAt(0).toLowerCase()}${first.slice(1)}; put the ${command.rest.placeholder} after --`;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

const INDENT = '  ';

export function commandUsage(command: CommandSpec): string {
  const synopsis = command.options.map((o) => {
    const words = optionWords(o) + (o.multiple ? ' ...' : '');
    return o.required ? words : `[${words}]`;
  });
  if (command.rest) synopsis.push(command.rest.required ? `-- ${command.rest.placeholder}` : `[-- ${command.rest.placeholder}]`);
  const lines = [`Usage: ${PROGRAM} ${command.name} ${synopsis.join(' ')}`.trimEnd(), '', command.summary];
  if (command.details) lines.push('', command.details);
  lines.push('', 'Options:', ...optionTable([...command.options, HELP]));
  if (command.rest) lines.push(`${INDENT}-- ${command.rest.placeholder}  ${command.rest.description}`);
  return `${lines.join('\n')}\n`;
}

export function programUsage(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'The AMS v2 conformance kit: property-based suites against any AMS v2 endpoint, and client validation.',
    '',
    'Commands:',
    ...commands.map((c) => `${INDENT}${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    ...optionTable([{ name: 'version', type: 'boolean', description: 'print the version' }, HELP]),
    '',
    `Run '${PROGRAM} <command> --help' for the options of a command.`,
  ];
  return `${lines.join('\n')}\n`;
}

function optionWords(option: OptionSpec): string {
  return option.type === 'string' ? `--${option.name} ${option.placeholder ?? 'VALUE'}` : `--${option.name}`;
}

function optionTable(options: readonly OptionSpec[]): string[] {
  const left = options.map((o) => (o.name === 'help' ? '-h, --help' : optionWords(o)));
  const width = Math.max(...left.map((l) => l.length));
  return options.map((o, i) => `${INDENT}${left[i]!.padEnd(width)}  ${o.description}`);
}

/** The one-line message for anything a command threw, and its exit code; the stack only with AMS_DEBUG=1. */
export async function reportError(err: unknown, io: CliIo): Promise<number> {
  let code: number;
  let message: string;
  if (err instanceof UsageError) {
    code = EXIT_USAGE;
    message = `${err.message}; run '${PROGRAM}${err.command ? ` ${err.command}` : ''} --help' for usage`;
  } else if (err instanceof CommandFailure) {
    code = EXIT_FAILURE;
    message = err.message;
  } else {
    code = EXIT_FAILURE;
    message = err instanceof Error ? err.message : String(err);
  }
  let text = `${PROGRAM}: ${message.replace(/\s*[\r\n]+\s*/g, ' ').trim()}\n`;
  if (io.env.AMS_DEBUG === '1' && err instanceof Error && err.stack) text += `${err.stack}\n`;
  await new Promise<void>((resolve) => io.stderr.write(text, () => resolve()));
  return code;
}
