import type { Writable } from 'node:stream';
import { kitTokenSource } from '../target/auth.js';
import { EmulatorExtras, type KitFinding, type KitRule, type KitVerification } from '../target/extras.js';
import { findCommand } from './command-path.js';
import { startEmulatorProcess } from './emulator-process.js';
import { runClientCommand, type ClientExit } from './run-client.js';

export interface ValidateOptions {
  command: string;
  args: readonly string[];
  /** Start the emulator with --strict (refuse what compat records). */
  strict: boolean;
  /**
   * `strict`: the emulator takes only tokens it issued and that have not expired, so a client
   * that makes one up or never renews one is refused (401) and fails. Default `any`.
   */
  auth?: 'any' | 'strict';
  /** How long to wait for the emulator's verifications after the client exits. Default 120 s. */
  verificationTimeoutMs?: number;
  /** Where the client's own output goes. */
  output: { stdout: Writable; stderr: Writable };
  /** Told once the emulator is up, before the client starts. */
  onStarted?: (info: { api: string; mode: 'compat' | 'strict' }) => void;
  /** The emulator bin to spawn (default: this package's build). */
  emulatorBin?: string;
}

/** A finding with its rule's words, for the report. */
export interface ReportedFinding extends KitFinding {
  ruleInfo: KitRule | undefined;
}

export interface ValidationReport {
  command: string[];
  mode: 'compat' | 'strict';
  auth: 'any' | 'strict';
  /** API requests the emulator refused for their token (401), with `--auth strict`. */
  refused: Array<{ method: string; path: string }>;
  api: string;
  client: ClientExit;
  /** The variables the client was given (the secret and token included: they are the emulator's dev values). */
  environment: Record<string, string>;
  findings: ReportedFinding[];
  verifications: KitVerification[];
  /** Verifications still pending when the wait ran out. */
  timedOut: boolean;
  /** What the client's uploads let the emulator check, counted. */
  coverage: UploadCoverage;
  /** Why the client fails validation; empty when it passes. */
  problems: string[];
  ok: boolean;
}

/**
 * What was exercised: a PASS is only as strong as what was checked. A digest verifies an upload
 * byte for byte; a type check only says the decrypted bytes look like the declared type.
 */
export interface UploadCoverage {
  /** Uploads the client marked storage-encrypted, and clear ones. */
  encrypted: number;
  clear: number;
  /** Verified byte for byte (a digest matched; an empty file). */
  verified: number;
  /** Verified by the declared type's signature only (through the file, or where it starts). */
  typeChecked: number;
  /** Neither confirmed nor refuted: no digest and no signature that says anything. */
  unverifiable: number;
  failed: number;
  /** Not verified at all (skipped, pending, deleted before verification). */
  notVerified: number;
  /** Of the encrypted uploads: how many were verified or type-checked. */
  encryptedChecked: number;
}

export function uploadCoverage(verifications: readonly KitVerification[]): UploadCoverage {
  const coverage: UploadCoverage = { encrypted: 0, clear: 0, verified: 0, typeChecked: 0, unverifiable: 0, failed: 0, notVerified: 0, encryptedChecked: 0 };
  for (const v of verifications) {
    if (v.encrypted === true) coverage.encrypted++;
    else if (v.encrypted === false) coverage.clear++;
    if (v.status === 'verified') {
      if (v.basis === 'signature' || v.basis === 'signature-prefix') coverage.typeChecked++;
      else coverage.verified++;
      if (v.encrypted === true) coverage.encryptedChecked++;
    } else if (v.status === 'unverifiable') coverage.unverifiable++;
    else if (v.status === 'failed') coverage.failed++;
    else coverage.notVerified++;
  }
  return coverage;
}

/**
 * Validate a client: start a fresh emulator with its own Azurite, run the client against it with
 * the AMS_* and AZURE_STORAGE_CONNECTION_STRING variables set, wait until every upload has been
 * verified, and collect the findings. The client fails when it exits non-zero, when any finding
 * is an error, or when a file it uploaded does not decrypt.
 */
export async function validateClient(options: ValidateOptions): Promise<ValidationReport> {
  const mode = options.strict ? 'strict' : 'compat';
  if (!(await findCommand(options.command))) {
    throw new Error(`cannot run ${JSON.stringify(options.command)}: ${/[\\/]/.test(options.command) ? 'no such executable file' : 'no such command on PATH'}`);
  }
  const auth = options.auth ?? 'any';
  const emulator = await startEmulatorProcess({ strict: options.strict, auth, ...(options.emulatorBin ? { bin: options.emulatorBin } : {}) });
  try {
    const tokenEndpoint = emulator.tokenEndpoints.aadV1 ?? emulator.tokenEndpoints.acs;
    const token = await kitTokenSource({ kind: 'client-credentials', clientId: emulator.clientId, clientSecret: emulator.clientSecret, tokenEndpoint }).getToken();
    const environment: Record<string, string> = {
      AMS_ENDPOINT: emulator.api,
      AMS_TOKEN: token,
      AMS_TOKEN_ENDPOINT: tokenEndpoint,
      AMS_CLIENT_ID: emulator.clientId,
      AMS_CLIENT_SECRET: emulator.clientSecret,
      AZURE_STORAGE_CONNECTION_STRING: emulator.storageConnectionString,
    };
    options.onStarted?.({ api: emulator.api, mode });
    const client = await runClientCommand(options.command, options.args, environment, options.output);

    const extras = await EmulatorExtras.detect(emulator.api);
    if (!extras?.capabilities.findings || !extras.capabilities.verification) throw new Error('the spawned emulator has no findings or verification endpoints');
    const timedOut = !(await extras.waitIdle(options.verificationTimeoutMs ?? 120_000));
    const rules = extras.capabilities.rules ? await extras.rules() : [];
    const findings = (await extras.findings()).map((f) => ({ ...f, ruleInfo: rules.find((r) => r.id === f.rule) }));
    const verifications = await extras.verifications();
    const refused = (await extras.requests()).filter((r) => r.status === 401 && /^\/api(\/|$)/i.test(r.path)).map(({ method, path }) => ({ method, path }));

    const problems: string[] = [];
    if (client.startError) problems.push(client.startError);
    else if (client.code !== 0) problems.push(`the client exited with ${client.signal ? `signal ${client.signal}` : `code ${client.code}`}`);
    const errors = findings.filter((f) => f.severity === 'error');
    if (errors.length > 0) problems.push(`${errors.length} error finding${errors.length === 1 ? '' : 's'} (${[...new Set(errors.map((f) => f.rule))].join(', ')})`);
    const failed = verifications.filter((v) => v.status === 'failed');
    if (failed.length > 0) problems.push(`${failed.length} file${failed.length === 1 ? '' : 's'} failed decrypt verification`);
    if (timedOut) problems.push(`verification did not finish within ${(options.verificationTimeoutMs ?? 120_000) / 1000} s`);
    if (refused.length > 0) problems.push(`${refused.length} API request${refused.length === 1 ? ' was' : 's were'} refused for their token (401)`);
    return {
      command: [options.command, ...options.args],
      mode,
      auth,
      refused,
      api: emulator.api,
      client,
      environment,
      findings,
      verifications,
      timedOut,
      coverage: uploadCoverage(verifications),
      problems,
      ok: problems.length === 0,
    };
  } finally {
    await emulator.stop();
  }
}
