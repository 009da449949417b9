import { writeFile } from 'node:fs/promises';
import { writeText } from '../../../client/src/cli/io.js';
import { validateClient, type ValidationReport } from '../validate-client/index.js';
import { validationText } from '../validate-client/report.js';
import type { LeafCommand } from '../../../client/src/cli/command.js';
import { CommandFailure, EXIT_FAILURE, EXIT_OK, UsageError } from '../../../client/src/cli/errors.js';

export const validateClientCommand: LeafCommand = {
  name: 'validate-client',
  summary: 'Run a client against a fresh emulator and report every storage-encryption mistake it makes.',
  details: [
    'Starts a fresh emulator (in memory, embedded Azurite, free ports), runs COMMAND with AMS_ENDPOINT, AMS_TOKEN,',
    'AMS_TOKEN_ENDPOINT, AMS_CLIENT_ID, AMS_CLIENT_SECRET and AZURE_STORAGE_CONNECTION_STRING set, waits until every',
    'upload has been decrypted and checked, and prints the findings: rule, file, what went wrong, how to fix it.',
    'Exit status: 0 when the client passes; 1 when it exits non-zero, breaks a rule of severity error, or',
    'uploads a file that does not decrypt; 2 for a wrong command line.',
  ].join('\n'),
  options: [
    { name: 'strict', type: 'boolean', description: 'start the emulator in strict mode: refuse what compat mode records' },
    { name: 'auth', type: 'string', placeholder: 'any|strict', description: "the emulator's token check: any Bearer token (default), or strict: only tokens it issued, unexpired (a refused request fails the client)" },
    { name: 'timeout', type: 'string', placeholder: 'SECONDS', description: 'how long to wait for verifications after the client exits (default 120)' },
    { name: 'json', type: 'string', placeholder: 'FILE', description: 'also write the report as JSON to FILE' },
  ],
  rest: { placeholder: 'COMMAND [ARGS...]', required: true, description: 'the client to validate, e.g. -- node my-uploader.js movie.mp4' },
  async run(parsed, io) {
    const [command, ...args] = parsed.rest;
    const timeoutText = parsed.optionalString('timeout');
    if (timeoutText !== undefined && !/^\d{1,5}$/.test(timeoutText)) throw new UsageError(`--timeout must be a whole number of seconds, not ${JSON.stringify(timeoutText)}`, 'validate-client');
    const json = parsed.optionalString('json');
    const auth = parsed.optionalString('auth') ?? 'any';
    if (auth !== 'any' && auth !== 'strict') throw new UsageError(`--auth must be any or strict, not ${JSON.stringify(auth)}`, 'validate-client');
    let report: ValidationReport;
    try {
      report = await validateClient({
        command: command!,
        args,
        strict: parsed.flag('strict'),
        auth,
        ...(timeoutText !== undefined ? { verificationTimeoutMs: Number(timeoutText) * 1000 } : {}),
        output: { stdout: io.stdout, stderr: io.stderr },
        onStarted: ({ api, mode }) => {
          io.stdout.write(`ams-conformance validate-client: a fresh emulator (${mode} mode) at ${api}; running ${[command, ...args].join(' ')}\n\n`);
        },
      });
    } catch (err) {
      throw new CommandFailure(`client validation could not run: ${(err as Error).message}`);
    }
    await writeText(io.stdout, validationText(report));
    if (json) {
      try {
        await writeFile(json, `${JSON.stringify({ reportVersion: 1, ...report }, null, 2)}\n`);
      } catch (err) {
        throw new CommandFailure(`cannot write the JSON report to ${JSON.stringify(json)}: ${(err as Error).message}`);
      }
    }
    return report.ok ? EXIT_OK : EXIT_FAILURE;
  },
};
