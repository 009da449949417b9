import type { Request, Response } from 'express';
import { clearFindings, findingCounts, listFindings, MAX_FINDINGS, type Finding } from '../domain/findings.js';
import { ruleOf, RULES } from '../domain/rules.js';
import type { Services } from '../app/services.js';

/** `/_emulator/findings` and `/_emulator/rules`: what the emulator found wrong in its clients, and the rules it judges by. */
export function findingHandlers(services: Services) {
  return {
    list(req: Request, res: Response): void {
      const findings = filterFindings(listFindings(services.store), req);
      if (String(req.query['format'] ?? '') === 'text') {
        res.status(200).type('text/plain; charset=utf-8').send(findingsReport(findings));
        return;
      }
      // `counts`: per rule since the last clear, including findings the ring (MAX_FINDINGS) dropped.
      res.status(200).json({ findings, counts: findingCounts(services.store), capacity: MAX_FINDINGS });
    },

    async clear(_req: Request, res: Response): Promise<void> {
      await services.store.transaction(clearFindings);
      res.status(204).end();
    },

    // The rule list, for reports that name rules (the conformance kit speaks only HTTP).
    rules(_req: Request, res: Response): void {
      res.status(200).json({ rules: RULES });
    },
  };
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
