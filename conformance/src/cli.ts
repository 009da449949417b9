#!/usr/bin/env node
import type { CliIo } from '../../client/src/cli/io.js';
import { writeLine } from '../../client/src/cli/io.js';
import { packageVersion } from '../../client/src/cli/version.js';
import { runCommand as runCommandLine, type CommandGroup } from '../../client/src/cli/command.js';
import { EXIT_OK, reportError } from '../../client/src/cli/errors.js';
import { isEntryPoint } from '../../client/src/cli/entry-point.js';
import { runCommand } from './cli/run-command.js';
import { validateClientCommand } from './cli/validate-command.js';

/** `ams-conformance`: the conformance kit's command line, on the reference client's command framework. */
export const PROGRAM: CommandGroup = {
  name: 'ams-conformance',
  summary: 'The AMS v2 conformance kit: property-based suites against any AMS v2 endpoint, and client validation.',
  commands: [runCommand, validateClientCommand],
  groupOptions: [{ name: 'version', type: 'boolean', description: 'print the version' }],
};

/** Run one command line (the words after `ams-conformance`) and return the exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    if (argv[0] === '--version') {
      await writeLine(io, packageVersion());
      return EXIT_OK;
    }
    return await runCommandLine(PROGRAM, argv, io, { program: PROGRAM.name, words: [] });
  } catch (err) {
    return reportError(err, io, PROGRAM.name);
  }
}

if (isEntryPoint(import.meta.url)) {
  process.stdout.on('error', () => {});
  const code = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
  // Keep-alive sockets to the endpoint would hold the process open for seconds after the report:
  // exit as soon as what was written has been handed over.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}
