import { writeFile } from 'node:fs/promises';
import { writeText } from '../../../client/src/cli/io.js';
import { ConsoleReporter } from '../report/console.js';
import { jsonReport } from '../report/json.js';
import { junitXml } from '../report/junit.js';
import { DEFAULT_RUNS, runConformance, type RunReport } from '../runner/run.js';
import { SUITE_IDS, type SuiteId } from '../suites/types.js';
import { defaultTokenEndpoint, type KitCredentials } from '../target/auth.js';
import type { LeafCommand, ParsedOptions } from '../../../client/src/cli/command.js';
import { CommandFailure, EXIT_FAILURE, EXIT_OK, UsageError } from '../../../client/src/cli/errors.js';

export const runCommand: LeafCommand = {
  name: 'run',
  summary: 'Run the conformance suites against an AMS v2 endpoint (any server, not only the emulator).',
  details: [
    `Suites: ${SUITE_IDS.join(', ')} (default: all). Properties are checked with fast-check: --seed repeats a run`,
    'exactly, --runs bounds the inputs of every property. Checks that need the emulator\'s /_emulator/ extras',
    '(findings, decrypt verification) are reported as not applicable against servers without them.',
    'Exit status: 0 when nothing failed ("not applicable" is not a failure), 1 when a case failed, 2 for a',
    'wrong command line.',
  ].join('\n'),
  options: [
    { name: 'endpoint', type: 'string', placeholder: 'URL', required: true, description: 'the API root, e.g. http://127.0.0.1:10010/api/' },
    { name: 'token', type: 'string', placeholder: 'T', description: 'a bearer token to send as is' },
    { name: 'client-id', type: 'string', placeholder: 'ID', description: 'client credentials: the client id (with --client-secret)' },
    { name: 'client-secret', type: 'string', placeholder: 'S', description: 'client credentials: the secret' },
    { name: 'token-endpoint', type: 'string', placeholder: 'URL', description: 'where to get a token with the client credentials (default: the ACS path /v2/OAuth2-13 on the endpoint\'s host; Azure AD when the path has /oauth2/)' },
    { name: 'seed', type: 'string', placeholder: 'N', description: 'fast-check seed (default: random, printed)' },
    { name: 'runs', type: 'string', placeholder: 'N', description: `most inputs per property (default ${DEFAULT_RUNS})` },
    { name: 'suite', type: 'string', placeholder: 'NAME', multiple: true, description: `run only this suite (${SUITE_IDS.join(', ')}); repeatable, or comma-separated` },
    { name: 'queue-connection-string', type: 'string', placeholder: 'CS', description: 'the storage account AzureQueue notification endpoints write to, so the notifications suite can read its queues (without it, queue delivery is not applicable)' },
    { name: 'junit', type: 'string', placeholder: 'FILE', description: 'also write JUnit XML for CI to FILE' },
    { name: 'json', type: 'string', placeholder: 'FILE', description: 'also write the report as JSON to FILE' },
  ],
  async run(parsed, io) {
    const endpoint = endpointOf(parsed.string('endpoint'));
    const credentials = credentialsOf(parsed, endpoint);
    const seed = integerOption(parsed, 'seed', -(2 ** 31), 2 ** 31 - 1);
    const runs = integerOption(parsed, 'runs', 1, 1_000_000) ?? DEFAULT_RUNS;
    const suites = suitesOf(parsed.strings('suite'));
    const queueConnectionString = parsed.optionalString('queue-connection-string');
    const junit = parsed.optionalString('junit');
    const json = parsed.optionalString('json');

    let reporter: ConsoleReporter | undefined;
    let report: RunReport;
    try {
      report = await runConformance({
        endpoint,
        credentials,
        ...(seed !== undefined ? { seed } : {}),
        runs,
        ...(suites ? { suites } : {}),
        ...(queueConnectionString ? { queueConnectionString } : {}),
        onEvent: (event) => {
          if (event.kind === 'target') {
            reporter = new ConsoleReporter((text) => io.stdout.write(text), event.seed, event.runs, { endpoint, credentialsHint: credentialsHint(credentials) });
          }
          reporter?.onEvent(event);
        },
      });
    } catch (err) {
      throw new CommandFailure(`the run against ${endpoint} stopped: ${(err as Error).message}`);
    }
    reporter?.finish(report);
    if (junit) await writeReport('junit', junit, junitXml(report));
    if (json) await writeReport('json', json, jsonReport(report));
    if (junit || json) await writeText(io.stdout, `Reports: ${[junit && `JUnit ${junit}`, json && `JSON ${json}`].filter(Boolean).join(', ')}\n`);
    return report.ok ? EXIT_OK : EXIT_FAILURE;
  },
};

function endpointOf(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--endpoint must be an http(s) URL, not ${JSON.stringify(text)}`, 'run');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--endpoint must be an http(s) URL, not ${JSON.stringify(text)}`, 'run');
  return url.toString();
}

function credentialsOf(parsed: ParsedOptions, endpoint: string): KitCredentials {
  const token = parsed.optionalString('token');
  const clientId = parsed.optionalString('client-id');
  const clientSecret = parsed.optionalString('client-secret');
  const tokenEndpoint = parsed.optionalString('token-endpoint');
  if (token !== undefined) {
    if (clientId !== undefined || clientSecret !== undefined || tokenEndpoint !== undefined) {
      throw new UsageError('--token and client credentials (--client-id, --client-secret, --token-endpoint) exclude each other', 'run');
    }
    return { kind: 'token', token };
  }
  if (clientId === undefined && clientSecret === undefined) {
    if (tokenEndpoint !== undefined) throw new UsageError('--token-endpoint needs --client-id and --client-secret', 'run');
    throw new UsageError('give --token T, or --client-id ID and --client-secret S', 'run');
  }
  if (clientId === undefined || clientSecret === undefined) throw new UsageError('--client-id and --client-secret go together', 'run');
  if (tokenEndpoint !== undefined) endpointOf(tokenEndpoint);
  return { kind: 'client-credentials', clientId, clientSecret, tokenEndpoint: tokenEndpoint ?? defaultTokenEndpoint(endpoint) };
}

function credentialsHint(credentials: KitCredentials): string {
  return credentials.kind === 'token' ? '--token T' : `--client-id ${credentials.clientId} --client-secret S --token-endpoint ${credentials.tokenEndpoint}`;
}

function integerOption(parsed: ParsedOptions, name: string, min: number, max: number): number | undefined {
  const text = parsed.optionalString(name);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`, 'run');
  return Number(text);
}

function suitesOf(values: readonly string[]): SuiteId[] | undefined {
  if (values.length === 0) return undefined;
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const unknown = names.filter((n) => !(SUITE_IDS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new UsageError(`unknown suite ${unknown.map((n) => `'${n}'`).join(', ')} (suites: ${SUITE_IDS.join(', ')})`, 'run');
  return SUITE_IDS.filter((id) => names.includes(id));
}

async function writeReport(what: string, path: string, content: string): Promise<void> {
  try {
    await writeFile(path, content);
  } catch (err) {
    throw new CommandFailure(`cannot write the ${what} report to ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}
