import fc from 'fast-check';
import { contentKeyChecksum, formatKeyId, type ChecksumVariant } from '../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../runner/recorder.js';
import { describeRefusal } from '../workflow/outcome.js';
import { withResources } from '../workflow/resources.js';
import { createKey, plannedKey } from '../workflow/storage-keys.js';
import { expectFinding, expectNoFinding, NO_FINDINGS } from './findings.js';
import type { Suite, SuiteContext } from './types.js';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes));
const keyId = fc.uuid().map((guid) => formatKeyId(guid));
const VARIANTS = ['rfc4122', 'java', 'php'] as const satisfies readonly ChecksumVariant[];

/**
 * Checksums: the content-key Checksum is base64(AES-ECB(key, Guid.ToByteArray())[0..8)). The .NET
 * value is accepted everywhere; the values other SDKs computed (RFC 4122 byte order, Java's GUID
 * text, PHP's id text) are flagged with their variant (compat) or refused (strict).
 */
export const checksumSuite: Suite = {
  id: 'checksums',
  title: 'Checksums',
  summary: 'the .NET content-key checksum is accepted everywhere; the RFC 4122, Java and PHP variants are flagged by name (compat) or refused (strict)',
  async run(context, cases) {
    await dotnetAccepted(context, cases);
    await variantsFlaggedOrRefused(context, cases);
  },
};

async function dotnetAccepted(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target } = context;
  const findings = context.capabilities.findings;
  await cases.property(
    'dotnet-accepted',
    `a key with the .NET checksum (AES-ECB over Guid.ToByteArray()) is accepted${findings ? ' with no checksum finding' : ''}`,
    fc.asyncProperty(key, keyId, async (k, id) => {
      await withResources(target.client(), async (resources) => {
        const created = await createKey(target, resources, await plannedKey(target, { key: k, id }));
        expectThat(created.ok, () => `a key with the .NET checksum was refused: ${created.ok ? '' : describeRefusal(created)}`);
        if (findings) await expectNoFinding(context, ['checksum-mismatch', 'checksum-missing', 'content-key-unwrap-failed', 'content-key-length'], id);
      });
    }),
  );
}

async function variantsFlaggedOrRefused(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target, mode } = context;
  const findings = context.capabilities.findings;
  const what = 'a key whose checksum is computed another way (RFC 4122 byte order, Java GUID text, PHP id text)';
  const title =
    mode === 'strict'
      ? `${what} is refused (400)${findings ? ' and recorded as checksum-mismatch with its variant' : ''}`
      : `${what} is accepted${findings ? ' and recorded as checksum-mismatch naming the variant' : ''}`;
  await cases.property(
    mode === 'strict' ? 'variants-refused' : 'variants-flagged',
    title,
    fc.asyncProperty(key, keyId, fc.constantFrom(...VARIANTS), async (k, id, variant) => {
      // For a few GUIDs a variant gives the .NET bytes (e.g. RFC 4122 order of a GUID whose first groups are palindromes).
      fc.pre(contentKeyChecksum(k, id, variant) !== contentKeyChecksum(k, id, 'dotnet'));
      await withResources(target.client(), async (resources) => {
        const created = await createKey(target, resources, await plannedKey(target, { key: k, id, checksum: variant }));
        if (mode === 'strict') {
          expectThat(!created.ok, `strict mode accepted a ${variant} checksum`);
          expectThat(created.status === 400, `a ${variant} checksum was refused with HTTP ${created.status}, not 400`);
        } else {
          expectThat(created.ok, () => `compat mode refused a ${variant} checksum (${created.ok ? '' : describeRefusal(created)}); the service accepted it`);
        }
        if (findings) await expectFinding(context, 'checksum-mismatch', id, { variant });
      });
    }),
  );
  if (!findings) cases.notApplicable('variants-named', 'a checksum computed another way is recorded as checksum-mismatch naming its variant', NO_FINDINGS);
}
