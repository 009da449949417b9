import { Readable } from 'node:stream';
import fc from 'fast-check';
import { CryptoInputError, formatIv, MAX_IV, parseIv, randomIv, uploadEncrypted } from '../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../runner/recorder.js';
import { describeRefusal } from '../workflow/outcome.js';
import { withResources, type Resources } from '../workflow/resources.js';
import { createEncryptedAsset, createEncryptedFile } from '../workflow/encrypted-asset.js';
import { createGoodKey } from '../workflow/storage-keys.js';
import { expectFinding, expectNoFinding, NO_FINDINGS } from './findings.js';
import type { Suite, SuiteContext } from './types.js';

const iv = fc.bigInt({ min: 0n, max: MAX_IV });
const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes));

/** IVs drawn from the reference client's generator for the statistical check. */
const GENERATOR_SAMPLE = 50_000;

/**
 * IV uniqueness: under one content key every file needs its own IV, or two files share a
 * keystream. The reference client never repeats one; the endpoint flags (compat) or refuses
 * (strict) a repeat under one key, and lets the same IV be used under different keys.
 */
export const ivSuite: Suite = {
  id: 'iv',
  title: 'IV uniqueness',
  summary: 'no two files under one content key share an InitializationVector: the reference client never repeats one, and the endpoint flags or refuses a repeat',
  async run(context, cases) {
    await generatorNeverRepeats(cases);
    await uploadsGetDistinctIvs(context, cases);
    await reuseUnderOneKey(context, cases);
    await sameIvUnderTwoKeys(context, cases);
  },
};

async function generatorNeverRepeats(cases: CaseRecorder): Promise<void> {
  await cases.check('generator-never-repeats', `the reference client's IV generator: ${GENERATOR_SAMPLE.toLocaleString('en-US')} IVs, none repeated, each of the 64 bits set about half the time`, () => {
    const seen = new Set<bigint>();
    const ones = new Array<number>(64).fill(0);
    for (let i = 0; i < GENERATOR_SAMPLE; i++) {
      const value = randomIv();
      expectThat(value >= 0n && value <= MAX_IV, `randomIv() returned ${value}, outside 0..2^64-1`);
      expectThat(!seen.has(value), `randomIv() repeated ${value} after ${i} draws`);
      seen.add(value);
      const halves = [Number(value & 0xffffffffn), Number(value >> 32n)];
      for (let bit = 0; bit < 64; bit++) if ((halves[bit >> 5]! >>> (bit & 31)) & 1) ones[bit]!++;
    }
    // Binomial: the share of ones is 0.5 ± 0.0022 (1 sd); 0.45..0.55 is over 20 sd, so only a broken generator misses it.
    const skewed = ones.map((n, bit) => ({ bit, share: n / GENERATOR_SAMPLE })).filter(({ share }) => share < 0.45 || share > 0.55);
    expectThat(skewed.length === 0, () => `bits not uniformly random: ${skewed.map(({ bit, share }) => `bit ${bit} set in ${(share * 100).toFixed(1)}%`).join(', ')}`);
  });
}

async function uploadsGetDistinctIvs(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target } = context;
  const client = target.client();
  const findings = context.capabilities.findings;
  await cases.property(
    'uploads-get-distinct-ivs',
    `the reference client gives every file of an upload its own decimal UInt64 IV, stored as sent${findings ? ', and no iv-reused finding is recorded' : ''}`,
    fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 64 }), { minLength: 2, maxLength: 12 }), async (sizes) => {
      await withResources(client, async (resources) => {
        const inputs = sizes.map((size, i) => ({ name: `file-${i}.bin`, stream: Readable.from([Buffer.alloc(size, i)]), size }));
        const result = await uploadEncrypted(client, inputs, { assetName: 'ams-conformance-ivs' });
        resources.track('Assets', result.assetId);
        resources.track('ContentKeys', result.contentKeyId);
        const stored = await client.listAssetFiles(result.assetId);
        expectThat(stored.length === sizes.length, `the asset holds ${stored.length} files, ${sizes.length} were uploaded`);
        const byValue = new Map<bigint, string>();
        for (const file of stored) {
          const sent = result.files.find((f) => f.id === file.Id);
          expectThat(sent !== undefined, `the asset holds a file ${file.Id} the upload did not make`);
          expectThat(file.InitializationVector === sent.iv, `file ${file.Name}: the server stores IV ${JSON.stringify(file.InitializationVector)}, the client sent ${sent.iv}`);
          let value: bigint;
          try {
            value = parseIv(file.InitializationVector ?? '');
          } catch (err) {
            if (err instanceof CryptoInputError) throw new Error(`file ${file.Name}: ${err.message}`);
            throw err;
          }
          const twin = byValue.get(value);
          expectThat(twin === undefined, `files ${twin} and ${file.Name} share the IV ${value}`);
          byValue.set(value, file.Name);
          if (findings) await expectNoFinding(context, ['iv-reused', 'iv-not-decimal-uint64'], file.Id);
        }
      });
    }),
    { share: 0.3 },
  );
}

/** The same IV value spelled with leading zeros: a server must compare IVs by value. */
const spelling = fc.integer({ min: 0, max: 2 });

async function reuseUnderOneKey(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target, mode } = context;
  const findings = context.capabilities.findings;
  const id = 'reuse-under-one-key';
  if (mode === 'compat' && !findings) {
    cases.notApplicable(id, 'two files under one content key with one IV are recorded as iv-reused', `in compat mode the endpoint accepts them, and ${NO_FINDINGS}`);
    return;
  }
  const title =
    mode === 'strict'
      ? 'a second file under the same content key with the same IV (also written with leading zeros) is refused'
      : 'a second file under the same content key with the same IV (also written with leading zeros) is recorded as iv-reused, naming the first file';
  await cases.property(
    id,
    title,
    fc.asyncProperty(key, iv, spelling, async (k, value, zeros) => {
      await withResources(target.client(), async (resources) => {
        const { assetId, keyId } = await keyedAsset(context, resources, k);
        const first = await createEncryptedFile(target, { assetId, name: 'first.bin', keyId, iv: formatIv(value), size: 16 });
        expectThat(first.ok, () => `the first file with IV ${value} was refused: ${first.ok ? '' : describeRefusal(first)}`);
        const secondIv = `${'0'.repeat(zeros)}${formatIv(value)}`;
        const second = await createEncryptedFile(target, { assetId, name: 'second.bin', keyId, iv: secondIv, size: 16 });
        if (mode === 'strict') {
          expectThat(!second.ok, `strict mode accepted a second file with IV ${secondIv} under the key of a file with IV ${value}`);
          expectThat(second.status === 409 || second.status === 400, `the reused IV was refused with HTTP ${second.status}, not 409 or 400`);
        } else {
          expectThat(second.ok, () => `compat mode refused a reused IV (${second.ok ? '' : describeRefusal(second)}); it should accept it and record a finding`);
          await expectFinding(context, 'iv-reused', second.value.Id, { otherFileId: first.value.Id });
        }
      });
    }),
    { share: 0.5 },
  );
}

async function sameIvUnderTwoKeys(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target } = context;
  const findings = context.capabilities.findings;
  await cases.property(
    'same-iv-two-keys',
    `one IV used under two different content keys is accepted${findings ? ' without an iv-reused finding' : ''}`,
    fc.asyncProperty(key, key, iv, async (k1, k2, value) => {
      fc.pre(!k1.equals(k2));
      await withResources(target.client(), async (resources) => {
        for (const [n, k] of [k1, k2].entries()) {
          const { assetId, keyId } = await keyedAsset(context, resources, k);
          const file = await createEncryptedFile(target, { assetId, name: `file-${n}.bin`, keyId, iv: formatIv(value), size: 16 });
          expectThat(file.ok, () => `a file with IV ${value} under a second, different key was refused: ${file.ok ? '' : describeRefusal(file)}`);
          if (findings) await expectNoFinding(context, ['iv-reused'], file.value.Id);
        }
      });
    }),
    { share: 0.5 },
  );
}

async function keyedAsset(context: SuiteContext, resources: Resources, key: Buffer): Promise<{ assetId: string; keyId: string }> {
  const storageKey = await createGoodKey(context.target, resources, key);
  const asset = await createEncryptedAsset(context.target, resources, storageKey.id);
  return { assetId: asset.Id, keyId: storageKey.id };
}
