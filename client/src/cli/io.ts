import type { Readable, Writable } from 'node:stream';

/** The streams and environment a command runs against: the process's own, or a test's. */
export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Aborted when the user asks the command to stop (Ctrl-C in the bin), so long transfers can end
   * cleanly: remove their temporary write access, leave no partial file.
   */
  signal?: AbortSignal;
}

/**
 * Write text and wait until the stream has taken it, so a closed stdout surfaces as a rejected
 * promise (EPIPE) at the call site instead of an unhandled 'error' event later.
 */
export function writeText(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/** A command's result on stdout: one value, one line. */
export function writeLine(io: CliIo, text: string): Promise<void> {
  return writeText(io.stdout, `${text}\n`);
}
