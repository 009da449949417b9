import fc from 'fast-check';
import { certificateToBase64Der, createProtectionCertificate, unwrapContentKey, type ProtectionCertificate } from '../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../runner/recorder.js';
import { describeRefusal, outcomeOf } from '../workflow/outcome.js';
import { withResources } from '../workflow/resources.js';
import { createKey, plannedKey } from '../workflow/storage-keys.js';
import { BAD_WRAPS, EXPECTED_DIAGNOSIS } from '../workflow/wraps.js';
import { expectFinding, NO_FINDINGS } from './findings.js';
import type { Suite, SuiteContext } from './types.js';

const contentKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes));

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Text with at least one character base64 does not have (white space does not count: servers strip it). */
const notBase64 = fc
  .tuple(fc.string({ unit: fc.constantFrom(...BASE64), maxLength: 40 }), fc.constantFrom('!', '-', '_', '.', '*', '#', '%', '~', '"'), fc.string({ unit: fc.constantFrom(...BASE64), maxLength: 40 }))
  .map(([a, bad, b]) => `${a}${bad}${b}`);

const badWrap = fc.record({
  key: contentKey,
  kind: fc.constantFrom(...BAD_WRAPS),
  cut: fc.integer({ min: 1, max: 255 }),
  junk: notBase64,
});

/**
 * RSA-OAEP unwrapping: the endpoint opens exactly the keys wrapped the .NET way (RSA-OAEP, SHA-1,
 * MGF1-SHA-1, empty label, to its protection certificate), hands them back in clear or re-wrapped
 * to a certificate the caller names, and never hands back anything for a key wrapped another way.
 */
export const rsaOaepSuite: Suite = {
  id: 'rsa-oaep',
  title: 'RSA-OAEP unwrapping',
  summary: 'content keys wrapped with RSA-OAEP-SHA1 to the protection certificate come back exactly; keys wrapped any other way never do',
  async run(context, cases) {
    const testCertificate = createProtectionCertificate({ commonName: 'ams-conformance test certificate' });
    await rebindInClear(context, cases);
    await rebindToCertificate(context, cases, testCertificate);
    await badWrapsNeverRebind(context, cases, testCertificate);
  },
};

async function rebindInClear(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target } = context;
  await cases.property(
    'rebind-clear',
    "RebindContentKey(id, '') returns exactly the 32-byte key that was wrapped to the protection certificate",
    fc.asyncProperty(contentKey, async (key) => {
      await withResources(target.client(), async (resources) => {
        const planned = await plannedKey(target, { key });
        const created = await createKey(target, resources, planned);
        expectThat(created.ok, () => `a correctly wrapped key was refused: ${created.ok ? '' : describeRefusal(created)}`);
        const clear = Buffer.from(await target.client().rebindContentKey(planned.id, ''), 'base64');
        expectThat(clear.equals(key), `RebindContentKey('${planned.id}', '') returned ${clear.toString('hex')} for the key ${key.toString('hex')}`);
      });
    }),
  );
}

async function rebindToCertificate(context: SuiteContext, cases: CaseRecorder, certificate: ProtectionCertificate): Promise<void> {
  const { target } = context;
  await cases.property(
    'rebind-certificate',
    'RebindContentKey(id, <test certificate>) re-wraps the key so that the test certificate\'s private key opens it to the same 32 bytes',
    fc.asyncProperty(contentKey, async (key) => {
      await withResources(target.client(), async (resources) => {
        const planned = await plannedKey(target, { key });
        const created = await createKey(target, resources, planned);
        expectThat(created.ok, () => `a correctly wrapped key was refused: ${created.ok ? '' : describeRefusal(created)}`);
        const wrapped = await target.client().rebindContentKey(planned.id, certificateToBase64Der(certificate.der));
        let opened: Buffer;
        try {
          opened = unwrapContentKey(certificate.privateKeyPem, wrapped);
        } catch (err) {
          throw new Error(`the key re-wrapped to the test certificate does not open with RSA-OAEP-SHA1: ${(err as Error).message}`);
        }
        expectThat(opened.equals(key), `the re-wrapped key opens to ${opened.toString('hex')}, not ${key.toString('hex')}`);
      });
    }),
  );
}

async function badWrapsNeverRebind(context: SuiteContext, cases: CaseRecorder, other: ProtectionCertificate): Promise<void> {
  const { target, mode } = context;
  const findings = context.capabilities.findings;
  const title =
    mode === 'strict'
      ? 'keys not wrapped with RSA-OAEP-SHA1 to the protection certificate (OAEP-SHA256, PKCS#1 v1.5, another certificate, truncated, not base64) are refused at create (400)'
      : 'keys not wrapped with RSA-OAEP-SHA1 to the protection certificate (OAEP-SHA256, PKCS#1 v1.5, another certificate, truncated, not base64) never rebind (400)';
  await cases.property(
    'bad-wraps-never-rebind',
    findings ? `${title}, and each is recorded as content-key-unwrap-failed with its diagnosis` : title,
    fc.asyncProperty(badWrap, async ({ key, kind, cut, junk }) => {
      await withResources(target.client(), async (resources) => {
        const planned = await plannedKey(target, { key, wrap: kind, wrapInputs: { other: other.der, cut, junk } });
        const created = await createKey(target, resources, planned);
        if (mode === 'strict') {
          expectThat(!created.ok, `strict mode accepted a key wrapped as ${kind} (201)`);
          expectThat(created.status === 400, `strict mode refused a key wrapped as ${kind} with HTTP ${created.status}, not 400`);
        } else if (created.ok) {
          const rebound = await outcomeOf(() => target.client().rebindContentKey(planned.id, ''));
          expectThat(!rebound.ok, () => `RebindContentKey returned ${rebound.ok ? rebound.value : ''} for a key wrapped as ${kind}`);
          expectThat(rebound.status === 400, `RebindContentKey of a key wrapped as ${kind} answered HTTP ${rebound.status}, not 400`);
        } else {
          // Compat servers may still refuse junk at create; the emulator's compat mode must not (the service accepted it).
          expectThat(!findings, () => `compat mode refused a key wrapped as ${kind} at create (${describeRefusal(created)}); the service accepted such keys and failed later`);
          expectThat(created.status === 400, `a key wrapped as ${kind} was refused with HTTP ${created.status}, not 400`);
        }
        if (findings) await expectFinding(context, 'content-key-unwrap-failed', planned.id, { diagnosis: EXPECTED_DIAGNOSIS[kind] });
      });
    }),
  );
  if (!findings) cases.notApplicable('bad-wraps-diagnosed', 'each badly wrapped key is recorded as content-key-unwrap-failed with its diagnosis', NO_FINDINGS);
}
