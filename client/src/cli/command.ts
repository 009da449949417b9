import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';
import { writeText, type CliIo } from './io.js';

/** One `--name` option of a command; the usage text is generated from these. */
export interface OptionSpec {
  readonly name: string;
  readonly type: 'string' | 'boolean';
  /** What the value looks like in the usage line, e.g. `HEX`. */
  readonly placeholder?: string;
  readonly required?: boolean;
  readonly description: string;
}

/** The words a command takes after its options, e.g. the files of `upload FILE...`. */
export interface PositionalSpec {
  /** How one word looks in the usage line, e.g. `FILE`. */
  readonly placeholder: string;
  readonly description: string;
  /** Fewest words accepted (0 or more); there is no upper bound. */
  readonly min: number;
}

/** A command that does the work: `ams-client crypto encrypt`. */
export interface LeafCommand {
  readonly name: string;
  readonly summary: string;
  /** Longer explanation printed under the usage line by --help. */
  readonly details?: string;
  readonly options: readonly OptionSpec[];
  /** Without it, any word that is not an option is refused. */
  readonly positionals?: PositionalSpec;
  run(options: ParsedOptions, io: CliIo): Promise<void>;
}

/** A command that only chooses among others: `ams-client`, `ams-client crypto`. */
export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly Command[];
  /** Options the group itself takes, shown in its help (handled by its owner, e.g. --version). */
  readonly groupOptions?: readonly OptionSpec[];
}

export type Command = LeafCommand | CommandGroup;

const HELP: OptionSpec = { name: 'help', type: 'boolean', description: 'show this help' };

/** The options a leaf command was given, already checked against its specs. */
export class ParsedOptions {
  constructor(
    private readonly values: Readonly<Record<string, string | boolean | undefined>>,
    /** The words that are not options, in order (only for commands that declare positionals). */
    readonly positionals: readonly string[] = [],
  ) {}

  /** A required string option (presence was checked before `run`). */
  string(name: string): string {
    const value = this.values[name];
    if (typeof value !== 'string') throw new Error(`option --${name} is not a required string option`);
    return value;
  }

  optionalString(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }
}

/**
 * Run `command` with the words after its name. Groups pick a subcommand by the first word; leaves
 * parse their options strictly. Usage errors are tagged with the command path so the message can
 * point at the right --help.
 */
export async function runCommand(command: Command, argv: readonly string[], io: CliIo, path: readonly string[]): Promise<void> {
  try {
    if (isGroup(command)) await runGroup(command, argv, io, path);
    else await runLeaf(command, argv, io, path);
  } catch (err) {
    if (err instanceof UsageError && err.commandPath === undefined) err.commandPath = path.join(' ');
    throw err;
  }
}

export function isGroup(command: Command): command is CommandGroup {
  return 'commands' in command;
}

async function runGroup(group: CommandGroup, argv: readonly string[], io: CliIo, path: readonly string[]): Promise<void> {
  const [word, ...rest] = argv;
  const names = group.commands.map((c) => c.name).join(', ');
  const self = ['ams-client', ...path].join(' ');
  if (word === undefined) throw new UsageError(path.length === 0 ? `no command given (commands: ${names})` : `'${self}' needs a command (${names})`);
  if (word === '--help' || word === '-h' || word === 'help') {
    await writeText(io.stdout, groupUsage(group, path));
    return;
  }
  if (word.startsWith('-')) throw new UsageError(`unknown option '${word}' for '${self}'; it takes a command first (${names})`);
  const sub = group.commands.find((c) => c.name === word);
  if (!sub) throw new UsageError(`unknown command '${word}' for '${self}' (commands: ${names})`);
  await runCommand(sub, rest, io, [...path, sub.name]);
}

async function runLeaf(command: LeafCommand, argv: readonly string[], io: CliIo, path: readonly string[]): Promise<void> {
  const specs = [...command.options, HELP];
  const config: ParseArgsConfig['options'] = {};
  for (const spec of specs) config[spec.name] = spec.name === 'help' ? { type: 'boolean', short: 'h' } : { type: spec.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: command.positionals !== undefined, tokens: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help === true) {
    await writeText(io.stdout, commandUsage(command, path));
    return;
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    // The last of two values silently winning hides typos in scripts; refuse instead.
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once`);
    seen.add(token.name);
  }
  for (const spec of command.options) {
    if (spec.required && values[spec.name] === undefined) {
      throw new UsageError(`missing --${spec.name}${spec.placeholder ? ` ${spec.placeholder}` : ''} (${spec.description})`);
    }
  }
  const positionals = parsed.positionals;
  if (command.positionals && positionals.length < command.positionals.min) {
    throw new UsageError(`missing ${command.positionals.placeholder} (${command.positionals.description})`);
  }
  await command.run(new ParsedOptions(values, positionals), io);
}

/** parseArgs messages are good but capitalised, sometimes multi-line, and say "argument". */
function parseArgsMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split('\n')[0]!.replace(/\.$/, '');
  const missing = /^Option '(--[\w-]+)(?: <value>)?' argument missing$/.exec(first);
  if (missing) return `${missing[1]} needs a value`;
  const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous$/.exec(first);
  if (ambiguous) return `${ambiguous[1]} needs a value; a value starting with '-' must be written ${ambiguous[1]}=VALUE`;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

const INDENT = '  ';

/** `--help` text of a leaf command. */
export function commandUsage(command: LeafCommand, path: readonly string[]): string {
  const words = command.options.map((o) => (o.required ? optionWords(o) : `[${optionWords(o)}]`));
  if (command.positionals) words.unshift(positionalWords(command.positionals));
  const synopsis = words.join(' ');
  const lines = [`Usage: ams-client ${path.join(' ')}${synopsis ? ` ${synopsis}` : ''}`, '', command.summary];
  if (command.details) lines.push('', command.details);
  if (command.positionals) lines.push('', 'Arguments:', `${INDENT}${positionalWords(command.positionals)}  ${command.positionals.description}`);
  lines.push('', 'Options:', ...optionTable([...command.options, HELP]));
  return `${lines.join('\n')}\n`;
}

/** `--help` text of a group: its commands and where to get more. */
export function groupUsage(group: CommandGroup, path: readonly string[]): string {
  const self = ['ams-client', ...path].join(' ');
  const width = Math.max(...group.commands.map((c) => c.name.length));
  const lines = [`Usage: ${self} <command> [options]`, '', group.summary, '', 'Commands:'];
  for (const c of group.commands) lines.push(`${INDENT}${c.name.padEnd(width)}  ${c.summary}`);
  lines.push('', 'Options:', ...optionTable([...(group.groupOptions ?? []), HELP]));
  lines.push('', `Run '${self} <command> --help' for the options of a command.`);
  return `${lines.join('\n')}\n`;
}

function positionalWords(spec: PositionalSpec): string {
  return spec.min === 0 ? `[${spec.placeholder}...]` : `${spec.placeholder}...`;
}

function optionWords(option: OptionSpec): string {
  return option.type === 'string' ? `--${option.name} ${option.placeholder ?? 'VALUE'}` : `--${option.name}`;
}

function optionTable(options: readonly OptionSpec[]): string[] {
  const left = options.map((o) => (o.name === 'help' ? '-h, --help' : optionWords(o)));
  const width = Math.max(...left.map((l) => l.length));
  return options.map((o, i) => `${INDENT}${left[i]!.padEnd(width)}  ${o.description}`);
}
