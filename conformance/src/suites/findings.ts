import { expectThat } from '../runner/recorder.js';
import type { KitFinding } from '../target/extras.js';
import type { SuiteContext } from './types.js';

/** The endpoint has no findings report: what a case that needs one says instead. */
export const NO_FINDINGS = 'there is no findings report (GET /_emulator/findings) to read what the endpoint records';
export const NO_VERIFICATION = 'there is no decrypt verification (GET /_emulator/verifications) to read whether the endpoint can decrypt an upload';

/**
 * The finding of `rule` about `entityId`, which must carry `details` (e.g. the checksum `variant`
 * or the unwrap `diagnosis`). Findings are written with the request they are about, so they are
 * there as soon as the request has been answered.
 */
export async function expectFinding(context: SuiteContext, rule: string, entityId: string, details: Record<string, string> = {}): Promise<KitFinding> {
  const extras = context.target.extras;
  if (!extras) throw new Error('expectFinding needs the findings report');
  const findings = await extras.findings({ rule, entityId });
  expectThat(findings.length > 0, `no ${rule} finding was recorded for ${entityId}`);
  const matching = findings.find((f) => Object.entries(details).every(([name, value]) => f.details[name] === value));
  expectThat(matching !== undefined, () => {
    const seen = findings.map((f) => JSON.stringify(Object.fromEntries(Object.keys(details).map((k) => [k, f.details[k] ?? null])))).join(', ');
    return `the ${rule} finding for ${entityId} should say ${JSON.stringify(details)}, but says ${seen}`;
  });
  return matching;
}

/** No finding of any of `rules` about `entityId`. */
export async function expectNoFinding(context: SuiteContext, rules: readonly string[], entityId: string): Promise<void> {
  const extras = context.target.extras;
  if (!extras) throw new Error('expectNoFinding needs the findings report');
  const found = (await extras.findings({ entityId })).filter((f) => rules.includes(f.rule));
  expectThat(found.length === 0, () => `${entityId} has the finding${found.length > 1 ? 's' : ''} ${found.map((f) => `${f.rule}: ${f.message}`).join('; ')}`);
}
