import { sendJson, type RawResponse } from './http.js';

/**
 * The emulator's own endpoints under `/_emulator/` (findings, rules, decrypt verification). Other
 * AMS v2 servers do not have them: the kit detects each one and reports what depends on a missing
 * one as not applicable. Everything is read as untyped JSON and checked field by field, because
 * the server on the other end is the thing under test.
 */

export interface EmulatorHealth {
  status: string;
  /** e.g. `ams-v2-emulator/0.1.0` */
  emulator: string | undefined;
  strict: boolean | undefined;
}

export interface KitFinding {
  id: string;
  rule: string;
  severity: string;
  message: string;
  entityId: string | null;
  /** Every other field the finding carries: `variant`, `diagnosis`, `fileId`, `assetId`, `fileName`... */
  details: Record<string, unknown>;
}

export interface KitRule {
  id: string;
  severity: string;
  area: string;
  title: string;
  description: string;
  fix: string;
  strictRefuses: boolean;
}

export type VerificationStatus = 'pending' | 'verified' | 'unverifiable' | 'failed' | 'skipped';

export interface KitVerification {
  fileId: string;
  assetId: string | null;
  fileName: string | null;
  status: VerificationStatus;
  reasonCode: string;
  reason: string;
  diagnosis: { id: string; message: string } | null;
  /** What a `verified` rests on: `digest`, `signature`, `signature-prefix`, `length`; null otherwise or unknown. */
  basis: string | null;
  /** Whether the file said it was storage-encrypted (null when the server does not say). */
  encrypted: boolean | null;
  /** The file (or its asset) was deleted after the upload; its verification was kept. */
  deleted: boolean;
  /** The User-Agent of the request that completed the upload, when the server says. */
  client: string | null;
}

export interface ExtrasCapabilities {
  findings: boolean;
  rules: boolean;
  verification: boolean;
}

/** Where each capability answers, and the list its answer holds. */
const CAPABILITY_PROBES: Record<keyof ExtrasCapabilities, { path: string; list: string }> = {
  findings: { path: 'findings?rule=__ams_conformance_probe__', list: 'findings' },
  rules: { path: 'rules', list: 'rules' },
  verification: { path: 'verifications', list: 'verifications' },
};

/** One answered request from `/_emulator/requests`. */
export interface KitRequest {
  method: string;
  /** Without the query string. */
  path: string;
  status: number;
  client: string | undefined;
}

export class EmulatorExtras {
  private constructor(
    readonly root: string,
    readonly health: EmulatorHealth | undefined,
    readonly capabilities: ExtrasCapabilities,
  ) {}

  /** Look for `/_emulator/` beside the API root; undefined when there is nothing there. */
  static async detect(endpoint: string): Promise<EmulatorExtras | undefined> {
    const root = new URL('../_emulator/', endpoint.endsWith('/') ? endpoint : `${endpoint}/`).toString();
    const health = await readHealth(root);
    const capabilities: ExtrasCapabilities = { findings: false, rules: false, verification: false };
    for (const [name, probe] of Object.entries(CAPABILITY_PROBES) as Array<[keyof ExtrasCapabilities, { path: string; list: string }]>) {
      capabilities[name] = await answersWithList(root + probe.path, probe.list);
    }
    if (!health && !capabilities.findings && !capabilities.rules && !capabilities.verification) return undefined;
    return new EmulatorExtras(root, health, capabilities);
  }

  /** Findings, optionally only those of one rule or about one entity. */
  async findings(filter: { rule?: string; entityId?: string } = {}): Promise<KitFinding[]> {
    const query = new URLSearchParams();
    if (filter.rule) query.set('rule', filter.rule);
    if (filter.entityId) query.set('entityId', filter.entityId);
    const body = await this.getJson(`findings${query.size > 0 ? `?${query}` : ''}`);
    return arrayField(body, 'findings').map(toFinding);
  }

  /** The requests the emulator answered, oldest first (its ring buffer: the most recent ones). */
  async requests(): Promise<KitRequest[]> {
    return arrayField(await this.getJson('requests'), 'requests').map((item) => {
      const r = isObject(item) ? item : {};
      return { method: String(r['method'] ?? ''), path: String(r['path'] ?? ''), status: typeof r['status'] === 'number' ? r['status'] : 0, client: typeof r['client'] === 'string' ? r['client'] : undefined };
    });
  }

  async rules(): Promise<KitRule[]> {
    return arrayField(await this.getJson('rules'), 'rules').map(toRule);
  }

  async verifications(): Promise<KitVerification[]> {
    return arrayField(await this.getJson('verifications'), 'verifications').map(toVerification);
  }

  /** Wait until no verification is pending anywhere; false when `timeoutMs` ran out first. */
  async waitIdle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = Math.max(0, deadline - Date.now());
      const seconds = Math.min(30, Math.ceil(left / 1000));
      const body = await this.getJson(`verifications?wait=${seconds}`);
      if (isObject(body) && body['idle'] === true) return true;
      if (Date.now() >= deadline) return false;
    }
  }

  async verification(fileId: string): Promise<KitVerification> {
    return toVerification(await this.getJson(`files/${encodeURIComponent(fileId)}/verification`));
  }

  /**
   * The file's verification once the emulator has decided: it verifies a file a moment after the
   * upload completes, so wait for the queue to drain and read the result; a file never queued is
   * verified on demand.
   */
  async settledVerification(fileId: string, timeoutMs = 60_000): Promise<KitVerification> {
    const deadline = Date.now() + timeoutMs;
    await this.waitIdle(timeoutMs);
    let result = await this.verification(fileId);
    if (result.status === 'skipped' && result.reasonCode === 'not-verified') {
      const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      const response = await sendJson('POST', `${this.root}files/${encodeURIComponent(fileId)}/verify?wait=${Math.min(left, 60)}`);
      result = toVerification(parseJson(response));
    }
    while (result.status === 'pending' && Date.now() < deadline) {
      await this.waitIdle(Math.max(1000, deadline - Date.now()));
      result = await this.verification(fileId);
    }
    return result;
  }

  private async getJson(path: string): Promise<unknown> {
    return parseJson(await sendJson('GET', this.root + path));
  }
}

async function readHealth(root: string): Promise<EmulatorHealth | undefined> {
  let response: RawResponse;
  try {
    response = await sendJson('GET', `${root}health`);
  } catch {
    return undefined;
  }
  if (response.status !== 200 && response.status !== 503) return undefined;
  const body = tryParse(response.text);
  if (!isObject(body) || typeof body['status'] !== 'string') return undefined;
  const versions = body['versions'];
  return {
    status: body['status'],
    emulator: isObject(versions) && typeof versions['emulator'] === 'string' ? versions['emulator'] : undefined,
    strict: typeof body['strict'] === 'boolean' ? body['strict'] : undefined,
  };
}

async function answersWithList(url: string, list: string): Promise<boolean> {
  try {
    const response = await sendJson('GET', url);
    if (response.status !== 200) return false;
    const body = tryParse(response.text);
    return isObject(body) && Array.isArray(body[list]);
  } catch {
    return false;
  }
}

function parseJson(response: RawResponse): unknown {
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`${response.url} answered HTTP ${response.status}: ${response.text.slice(0, 300)}`);
  }
  const body = tryParse(response.text);
  if (body === undefined) throw new Error(`${response.url} answered with something that is not JSON`);
  return body;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayField(body: unknown, field: string): unknown[] {
  const value = isObject(body) ? body[field] : undefined;
  if (!Array.isArray(value)) throw new Error(`the emulator's answer has no ${field} list`);
  return value;
}

function text(record: Record<string, unknown>, field: string, what: string): string {
  const value = record[field];
  if (typeof value !== 'string') throw new Error(`${what} has no ${field}`);
  return value;
}

function toFinding(value: unknown): KitFinding {
  if (!isObject(value)) throw new Error('a finding is not an object');
  const { id, rule, severity, message, entityId, ...details } = value;
  return {
    id: text({ id }, 'id', 'a finding'),
    rule: text({ rule }, 'rule', 'a finding'),
    severity: text({ severity }, 'severity', 'a finding'),
    message: typeof message === 'string' ? message : '',
    entityId: typeof entityId === 'string' ? entityId : null,
    details,
  };
}

function toRule(value: unknown): KitRule {
  if (!isObject(value)) throw new Error('a rule is not an object');
  return {
    id: text(value, 'id', 'a rule'),
    severity: text(value, 'severity', 'a rule'),
    area: typeof value['area'] === 'string' ? value['area'] : '',
    title: typeof value['title'] === 'string' ? value['title'] : '',
    description: typeof value['description'] === 'string' ? value['description'] : '',
    fix: typeof value['fix'] === 'string' ? value['fix'] : '',
    strictRefuses: value['strictRefuses'] === true,
  };
}

const STATUSES: readonly VerificationStatus[] = ['pending', 'verified', 'unverifiable', 'failed', 'skipped'];

function toVerification(value: unknown): KitVerification {
  if (!isObject(value)) throw new Error('a verification is not an object');
  const status = STATUSES.find((s) => s === value['status']);
  if (!status) throw new Error(`a verification has the unknown status ${JSON.stringify(value['status'])}`);
  const diagnosis = value['diagnosis'];
  return {
    fileId: text(value, 'fileId', 'a verification'),
    assetId: typeof value['assetId'] === 'string' ? value['assetId'] : null,
    fileName: typeof value['fileName'] === 'string' ? value['fileName'] : null,
    status,
    reasonCode: typeof value['reasonCode'] === 'string' ? value['reasonCode'] : '',
    reason: typeof value['reason'] === 'string' ? value['reason'] : '',
    diagnosis:
      isObject(diagnosis) && typeof diagnosis['id'] === 'string'
        ? { id: diagnosis['id'], message: typeof diagnosis['message'] === 'string' ? diagnosis['message'] : '' }
        : null,
    basis: typeof value['basis'] === 'string' ? value['basis'] : null,
    encrypted: typeof value['encrypted'] === 'boolean' ? value['encrypted'] : null,
    deleted: isObject(value['deleted']),
    client: isObject(value['trigger']) && typeof value['trigger']['client'] === 'string' ? value['trigger']['client'] : null,
  };
}
