import express, { type Request, type Router } from 'express';
import { clearFindings, findingCounts, listFindings, MAX_FINDINGS, type Finding } from '../domain/findings.js';
import { ruleOf, RULES } from '../domain/rules.js';
import type { Services } from '../app/services.js';
import type { RequestLog } from '../http/request-log.js';
import { EMULATOR_NAME, EMULATOR_VERSION } from '../version.js';
import { LATEST_API_VERSION } from '../http/api-version.js';
import type { AzuriteChildStatus } from '../storage/azurite-supervisor.js';
import { ASSET_DELIVERY_POLICY_LINKS, AUTHORIZATION_OPTION_LINKS, COLLECTIONS } from '../model/collections.js';

export interface EmulatorApiOptions {
  services: Services;
  requests: RequestLog;
  /** Clears all state and the asset containers. */
  reset(): Promise<{ containersDeleted: number }>;
  azuriteVersion?: string;
  /** The embedded Azurite child's state, when it runs in a child process. */
  azuriteStatus?: () => AzuriteChildStatus;
}

/**
 * The emulator's own endpoints, outside `/api/` so they can never collide with an entity set:
 * health, reset, findings, the request ring buffer and a state dump. No auth: they are for the
 * test harness on loopback, like LocalStack's `/_localstack/*`.
 */
export function emulatorRouter(options: EmulatorApiOptions): Router {
  const { services, requests } = options;
  const router = express.Router();

  const requestCounts = () => ({ total: requests.count, rejectedByParser: requests.rejectedByParser });

  router.get('/health', async (_req, res) => {
    const versions = { emulator: `${EMULATOR_NAME}/${EMULATOR_VERSION}`, api: LATEST_API_VERSION, ...(options.azuriteVersion ? { azurite: options.azuriteVersion } : {}) };
    const child = options.azuriteStatus?.();
    const embeddedAzurite = child ? { embeddedAzurite: child } : {};
    const storeFailure = await services.store.writeFailure();
    if (storeFailure !== undefined) {
      res.status(503).json({ status: 'unhealthy', store: 'not writable', location: services.store.location, message: storeFailure, versions, ...embeddedAzurite });
      return;
    }
    if (child?.state === 'restarting') {
      // No ping: the child is known dead, and a ping would only spend the storage client's retries.
      res.status(503).setHeader('Retry-After', '1');
      res.json({ status: 'unhealthy', storage: 'restarting', message: 'the embedded Azurite exited and is being restarted', versions, ...embeddedAzurite });
      return;
    }
    try {
      await services.storage.ping();
      res.status(200).json({ status: 'healthy', storage: 'up', versions, strict: services.config.strict, auth: services.config.auth, requests: requestCounts(), ...embeddedAzurite });
    } catch (err) {
      res.status(503).json({ status: 'unhealthy', storage: 'down', message: (err as Error).message, versions, requests: requestCounts(), ...embeddedAzurite });
    }
  });

  router.post('/reset', async (_req, res) => {
    const result = await options.reset();
    res.status(200).json({ reset: true, ...result });
  });

  router.get('/findings', (req, res) => {
    const findings = filterFindings(listFindings(services.store), req);
    if (String(req.query['format'] ?? '') === 'text') {
      res.status(200).type('text/plain; charset=utf-8').send(findingsReport(findings));
      return;
    }
    // `counts`: per rule since the last clear, including findings the ring (MAX_FINDINGS) dropped.
    res.status(200).json({ findings, counts: findingCounts(services.store), capacity: MAX_FINDINGS });
  });

  router.delete('/findings', async (_req, res) => {
    await services.store.transaction(clearFindings);
    res.status(204).end();
  });

  // The rule list, for reports that name rules (the conformance kit speaks only HTTP).
  router.get('/rules', (_req, res) => {
    res.status(200).json({ rules: RULES });
  });

  router.get('/requests', (_req, res) => {
    res.status(200).json({ capacity: requests.capacity, total: requests.count, rejectedByParser: requests.rejectedByParser, requests: requests.list() });
  });

  router.delete('/requests', (_req, res) => {
    requests.clear();
    res.status(204).end();
  });

  router.get('/state', (_req, res) => {
    res.status(200).json({ emulator: `${EMULATOR_NAME}/${EMULATOR_VERSION}`, location: services.store.location, state: dumpState(services) });
  });

  return router;
}

/** `?rule=a&rule=b`: a repeated parameter matches any of its values; parameters combine with AND. */
function filterFindings(findings: Finding[], req: Request): Finding[] {
  const rules = queryValues(req, 'rule');
  const severities = queryValues(req, 'severity');
  const entityIds = queryValues(req, 'entityId')?.map((id) => id.toLowerCase());
  return findings.filter(
    (f) => (!rules || rules.includes(f.rule)) && (!severities || severities.includes(f.severity)) && (!entityIds || entityIds.includes((f.entityId ?? '').toLowerCase())),
  );
}

/** Every value of a query parameter (the 'simple' parser gives an array when it repeats); undefined when absent. */
function queryValues(req: Request, name: string): string[] | undefined {
  const value: unknown = req.query[name];
  const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
  return values.length > 0 ? values : undefined;
}

/** The findings for people: one block per finding, with the rule's fix. */
export function findingsReport(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'No findings: every request matched the reference client.\n';
  const lines: string[] = [`${findings.length} finding${findings.length === 1 ? '' : 's'}:`, ''];
  for (const f of findings) {
    const rule = safeRule(f.rule);
    lines.push(`[${f.severity.toUpperCase()}] ${f.rule}${rule ? ` - ${rule.title}` : ''}`);
    lines.push(`  ${f.message}`);
    if (f.entityId) lines.push(`  entity: ${f.entityId}`);
    if (typeof f['assetId'] === 'string') lines.push(`  asset: ${f['assetId']}`);
    if (typeof f['diagnosis'] === 'string') lines.push(`  diagnosis: ${f['diagnosis']}`);
    if (f.requestId) lines.push(`  request: ${String(f['method'] ?? '')} ${String(f['path'] ?? '')} (x-ms-request-id ${f.requestId})`);
    if (f.client) lines.push(`  client: ${f.client}`);
    if (rule) lines.push(`  fix: ${rule.fix}`);
    lines.push('');
  }
  return lines.join('\n');
}

function safeRule(id: string) {
  try {
    return ruleOf(id);
  } catch {
    return undefined;
  }
}

/** Every collection, as stored; the protection private key is not in the store, so it cannot leak here. */
function dumpState(services: Services): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  const delivery = [COLLECTIONS.AssetDeliveryPolicies, ASSET_DELIVERY_POLICY_LINKS, COLLECTIONS.ContentKeyAuthorizationPolicies, COLLECTIONS.ContentKeyAuthorizationPolicyOptions, AUTHORIZATION_OPTION_LINKS];
  for (const name of ['assets', 'files', 'contentKeys', 'assetContentKeys', 'accessPolicies', 'locators', 'jobs', 'tasks', ...delivery, 'findings', 'verifications']) {
    out[name] = [...services.store.values(name)];
  }
  return out;
}

