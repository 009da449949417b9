import { checksumSuite } from './checksums.js';
import { counterSuite } from './counter-wraparound.js';
import { encodersSuite } from './encoders.js';
import { ivSuite } from './iv-uniqueness.js';
import { notificationsSuite } from './notifications.js';
import { protocolSuite } from './protocol/index.js';
import { rsaOaepSuite } from './rsa-oaep.js';
import type { Suite, SuiteId } from './types.js';

/** Every suite, in the order a run reports them: the three guarantees first (RSA-OAEP unwrapping, counter wraparound, IV uniqueness). */
export const SUITES: readonly Suite[] = [rsaOaepSuite, counterSuite, ivSuite, checksumSuite, protocolSuite, encodersSuite, notificationsSuite];

export function suiteById(id: SuiteId): Suite {
  return SUITES.find((s) => s.id === id)!;
}

export { SUITE_IDS, type Suite, type SuiteId, type SuiteResult, type CaseResult, type CaseStatus, type SuiteContext } from './types.js';
