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
  /** May be given more than once (`--suite a --suite b`); read with `strings()`. */
  readonly multiple?: boolean;
  readonly description: string;
}

/** The words a command takes after `--`, passed on untouched (validate-client's client command). */
export interface RestSpec {
  readonly placeholder: string;
  readonly required: boolean;
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
  /** Without it, anything after `--` is refused. */
  readonly rest?: RestSpec;
  /** Resolves to the exit code when the command decides it (e.g. 1 for a failed check), else 0. */
  run(options: ParsedOptions, io: CliIo): Promise<void | number>;
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
    private readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>,
    /** The words that are not options, in order (only for commands that declare positionals). */
    readonly positionals: readonly string[] = [],
    /** The words after `--` (only for commands that declare `rest`). */
    readonly rest: readonly string[] = [],
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

  /** Every value of a `multiple` option, in order. */
  strings(name: string): string[] {
    const value = this.values[name];
    return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }
}

/** Where a command sits: the program's name and the command words after it. */
export interface CommandPath {
  readonly program: string;
  readonly words: readonly string[];
}

/**
 * Run `command` with the words after its name. Groups pick a subcommand by the first word; leaves
 * parse their options strictly. Usage errors are tagged with the command path so the message can
 * point at the right --help.
 */
export async function runCommand(command: Command, argv: readonly string[], io: CliIo, path: CommandPath): Promise<number> {
  try {
    return isGroup(command) ? await runGroup(command, argv, io, path) : await runLeaf(command, argv, io, path);
  } catch (err) {
    if (err instanceof UsageError && err.commandPath === undefined) err.commandPath = path.words.join(' ');
    throw err;
  }
}

export function isGroup(command: Command): command is CommandGroup {
  return 'commands' in command;
}

async function runGroup(group: CommandGroup, argv: readonly string[], io: CliIo, path: CommandPath): Promise<number> {
  const [word, ...rest] = argv;
  const names = group.commands.map((c) => c.name).join(', ');
  const self = selfOf(path);
  if (word === undefined) throw new UsageError(path.words.length === 0 ? `no command given (commands: ${names})` : `'${self}' needs a command (${names})`);
  if (word === '--help' || word === '-h' || word === 'help') {
    await writeText(io.stdout, groupUsage(group, path));
    return 0;
  }
  if (word.startsWith('-')) throw new UsageError(`unknown option '${word}' for '${self}'; it takes a command first (${names})`);
  const sub = group.commands.find((c) => c.name === word);
  if (!sub) throw new UsageError(`unknown command '${word}' for '${self}' (commands: ${names})`);
  return runCommand(sub, rest, io, { program: path.program, words: [...path.words, sub.name] });
}

async function runLeaf(command: LeafCommand, argv: readonly string[], io: CliIo, path: CommandPath): Promise<number> {
  const specs = [...command.options, HELP];
  const config: ParseArgsConfig['options'] = {};
  for (const spec of specs) config[spec.name] = spec.name === 'help' ? { type: 'boolean', short: 'h' } : { type: spec.type, multiple: spec.multiple ?? false };
  const dashDash = command.rest ? argv.indexOf('--') : -1;
  const own = dashDash >= 0 ? argv.slice(0, dashDash) : argv;
  const rest = dashDash >= 0 ? argv.slice(dashDash + 1) : [];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...own], options: config, strict: true, allowPositionals: command.positionals !== undefined, tokens: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err, command.rest));
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help === true) {
    await writeText(io.stdout, commandUsage(command, path));
    return 0;
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const spec = command.options.find((o) => o.name === token.name);
    // The last of two values silently winning hides typos in scripts; refuse instead.
    if (seen.has(token.name) && !spec?.multiple) throw new UsageError(`--${token.name} is given more than once`);
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
  if (command.rest?.required && rest.length === 0) throw new UsageError(`missing -- ${command.rest.placeholder} (${command.rest.description})`);
  return (await command.run(new ParsedOptions(values, positionals, rest), io)) ?? 0;
}

function selfOf(path: CommandPath): string {
  return [path.program, ...path.words].join(' ');
}

/** parseArgs messages are good but capitalised, sometimes multi-line, and say "argument". */
function parseArgsMessage(err: unknown, rest: RestSpec | undefined): string {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split('\n')[0]!.replace(/\.$/, '');
  const missing = /^Option '(--[\w-]+)(?: <value>)?' argument missing$/.exec(first);
  if (missing) return `${missing[1]} needs a value`;
  const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous$/.exec(first);
  if (ambiguous) return `${ambiguous[1]} needs a value; a value starting with '-' must be written ${ambiguous[1]}=VALUE`;
  const lower = first.charAt(0).toLowerCase() + first.slice(1);
  if (rest && /^Unexpected argument/.test(first)) return `${lower}; put the ${rest.placeholder} after --`;
  return lower;
}

const INDENT = '  ';

/** `--help` text of a leaf command. */
export function commandUsage(command: LeafCommand, path: CommandPath): string {
  const words = command.options.map((o) => {
    const option = optionWords(o) + (o.multiple ? ' ...' : '');
    return o.required ? option : `[${option}]`;
  });
  if (command.positionals) words.unshift(positionalWords(command.positionals));
  if (command.rest) words.push(command.rest.required ? `-- ${command.rest.placeholder}` : `[-- ${command.rest.placeholder}]`);
  const synopsis = words.join(' ');
  const lines = [`Usage: ${selfOf(path)}${synopsis ? ` ${synopsis}` : ''}`, '', command.summary];
  if (command.details) lines.push('', command.details);
  if (command.positionals) lines.push('', 'Arguments:', `${INDENT}${positionalWords(command.positionals)}  ${command.positionals.description}`);
  lines.push('', 'Options:', ...optionTable([...command.options, HELP]));
  if (command.rest) lines.push(`${INDENT}-- ${command.rest.placeholder}  ${command.rest.description}`);
  return `${lines.join('\n')}\n`;
}

/** `--help` text of a group: its commands and where to get more. */
export function groupUsage(group: CommandGroup, path: CommandPath): string {
  const self = selfOf(path);
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
