import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

export interface ClientExit {
  /** The exit code, or null when a signal ended it or it never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it could not be started (no such command, not executable). */
  startError?: string;
}

/** Run the client under validation with the environment it is given, its output passed through. */
export function runClientCommand(command: string, args: readonly string[], env: Readonly<Record<string, string>>, output: { stdout: Writable; stderr: Writable }): Promise<ClientExit> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    child.stdout!.on('data', (chunk: Buffer) => output.stdout.write(chunk));
    child.stderr!.on('data', (chunk: Buffer) => output.stderr.write(chunk));
    child.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'no such command' : err.code === 'EACCES' ? 'not executable' : err.message;
      resolve({ code: null, signal: null, startError: `cannot run ${JSON.stringify(command)}: ${why}` });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}
