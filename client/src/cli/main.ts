#!/usr/bin/env node
import { runCommand, type CommandGroup } from './command.js';
import { isEntryPoint } from './entry-point.js';
import { cryptoCommands } from './crypto.js';
import { downloadCommand } from './download.js';
import { EXIT_OK, reportError } from './errors.js';
import { writeLine, type CliIo } from './io.js';
import { lsCommands } from './ls.js';
import { publishCommand } from './publish.js';
import { rmCommand } from './rm.js';
import { ingestCommand } from './ingest.js';
import { jobCommand } from './job.js';
import { uploadCommand } from './upload.js';
import { packageVersion } from './version.js';

/**
 * `ams-client`: the reference client's command line. Each command group lives in its own module
 * and is listed here; the dispatcher, usage text and error reporting are shared.
 */
const program: CommandGroup = {
  name: 'ams-client',
  summary: 'Reference client for the AMS v2 storage-encryption workflow.',
  commands: [uploadCommand, ingestCommand, downloadCommand, lsCommands, rmCommand, jobCommand, publishCommand, cryptoCommands],
  groupOptions: [{ name: 'version', type: 'boolean', description: 'print the version' }],
};

export type { CliIo } from './io.js';

/** Run one command line (the words after `ams-client`) and return the exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // A failed write also emits 'error'; the write's own callback reports it, so keep the event quiet.
  const quiet = (): void => {};
  io.stdout.on('error', quiet);
  io.stderr.on('error', quiet);
  try {
    if (argv[0] === '--version') {
      await writeLine(io, packageVersion());
      return EXIT_OK;
    }
    return await runCommand(program, argv, io, { program: program.name, words: [] });
  } catch (err) {
    return await reportError(err, io);
  } finally {
    io.stdout.off('error', quiet);
    io.stderr.off('error', quiet);
  }
}

if (isEntryPoint(import.meta.url)) {
  // A reader that leaves early (`| head`) can make later writes fail after runCli returned.
  process.stdout.on('error', () => {});
  process.exitCode = await runCli(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signal: interruptSignal(),
  });
}

/**
 * The first Ctrl-C (or SIGTERM) asks the running command to stop cleanly: a transfer then removes
 * its temporary locator and access policy before exiting. A second one exits at once.
 */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error(`stopped by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}
