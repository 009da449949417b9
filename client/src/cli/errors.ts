import { CryptoInputError } from '../crypto/errors.js';
import type { CliIo } from './io.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** Stopped by the user (Ctrl-C): 128 + SIGINT, as shells report it. */
export const EXIT_INTERRUPTED = 130;

/**
 * The command line itself is wrong (unknown command or flag, missing flag, malformed value):
 * exit 2, and the message ends by pointing at the help of the command that was being run.
 */
export class UsageError extends Error {
  /** The command path whose --help to suggest, e.g. `crypto encrypt`; set by the dispatcher. */
  commandPath: string | undefined;
  constructor(message: string, commandPath?: string) {
    super(message);
    this.name = 'UsageError';
    this.commandPath = commandPath;
  }
}

/** The command line was fine but the work failed (unreadable file, key does not open): exit 1. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}

/** The reader of stdout went away (`| head`): not an error worth a message. */
export function isBrokenPipe(err: unknown): boolean {
  return hasCode(err) && err.code === 'EPIPE';
}

/**
 * Print the one-line `ams-client: ...` diagnosis for anything a command threw and return the exit
 * code. Errors we did not anticipate still get one line; the stack only with AMS_DEBUG=1, because
 * users should see what to fix, not where in our code it was noticed.
 */
export async function reportError(err: unknown, io: CliIo, program = 'ams-client'): Promise<number> {
  if (isBrokenPipe(err)) return EXIT_OK;
  const { exitCode, message } = classify(err, program);
  let text = `${program}: ${oneLine(message)}\n`;
  if (io.env.AMS_DEBUG === '1' && err instanceof Error && err.stack) text += `${err.stack}\n`;
  await new Promise<void>((resolve) => io.stderr.write(text, () => resolve()));
  return exitCode;
}

function classify(err: unknown, program: string): { exitCode: number; message: string } {
  if (err instanceof UsageError) {
    const hint = `run '${program}${err.commandPath ? ` ${err.commandPath}` : ''} --help' for usage`;
    return { exitCode: EXIT_USAGE, message: `${err.message}; ${hint}` };
  }
  if (err instanceof CommandFailure) return { exitCode: err.exitCode, message: err.message };
  if (err instanceof CryptoInputError) return { exitCode: EXIT_FAILURE, message: err.message };
  if (hasCode(err) && typeof err.syscall === 'string') {
    // A system error from a stream (stdin is a directory, disk full): its message names the cause.
    return { exitCode: EXIT_FAILURE, message: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: EXIT_FAILURE, message: `unexpected error: ${message} (set AMS_DEBUG=1 to see where)` };
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function hasCode(err: unknown): err is NodeJS.ErrnoException {
  return typeof err === 'object' && err !== null && typeof (err as NodeJS.ErrnoException).code === 'string';
}
