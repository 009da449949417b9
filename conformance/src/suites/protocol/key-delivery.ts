import { randomBytes } from 'node:crypto';
import { AssetCreationOptions, ContentKeyType, entityPath, parseKeyId } from '../../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../../runner/recorder.js';
import { KEY_ID_CLAIM, signJwt, tokenTemplateXml } from '../../../../client/src/workflows/key-tokens.js';
import { withResources } from '../../workflow/resources.js';
import { plannedKey } from '../../workflow/storage-keys.js';
import type { SuiteContext } from '../types.js';
import { expectNoContent, expectStatus } from './expect.js';

/** The sets a publishing client needs for envelope encryption (ams-v2-surface.md §1, §2). */
export const KEY_DELIVERY_SETS = ['AssetDeliveryPolicies', 'ContentKeyAuthorizationPolicies', 'ContentKeyAuthorizationPolicyOptions'] as const;

/**
 * Envelope protection end to end, as a publisher and a player do it: a 16-byte EnvelopeEncryption
 * key, a token-restricted authorization policy (JWT, symmetric key, the content key identifier
 * claim), a DynamicEnvelopeEncryption delivery policy on the asset, GetKeyDeliveryUrl, and the key
 * fetched from that URL: exactly the 16 bytes with a valid token, 401 with an expired one.
 */
export async function keyDeliveryCheck(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target } = context;
  await cases.check('key-delivery', 'an envelope key behind a JWT-restricted policy: GetKeyDeliveryUrl, then the key delivery URL gives exactly the 16 bytes for a valid token and 401 for an expired one', async () => {
    await withResources(target.client(), async (resources) => {
      const json = (body: unknown) => ({ accept: 'application/json', contentType: 'application/json', body: JSON.stringify(body) });
      const planned = await plannedKey(target, { key: randomBytes(16) });
      const keyBody = { ...planned.request, ContentKeyType: ContentKeyType.EnvelopeEncryption };
      const created = await target.raw.send('POST', { path: 'ContentKeys', ...json(keyBody) });
      expectStatus(created, 201, 'POST ContentKeys (EnvelopeEncryption, 16 bytes)');
      resources.track('ContentKeys', planned.id);
      const guid = parseKeyId(planned.id).toLowerCase();
      const made: string[] = [];
      try {
        const signingKey = randomBytes(64);
        const issuer = 'https://ams-conformance.test/';
        const audience = 'urn:ams-conformance';
        const template = tokenTemplateXml({ tokenType: 'JWT', issuer, audience, key: signingKey, claims: { [KEY_ID_CLAIM]: null } });
        const policy = await target.raw.send('POST', { path: 'ContentKeyAuthorizationPolicies', ...json({ Name: 'ams-conformance' }) });
        expectStatus(policy, 201, 'POST ContentKeyAuthorizationPolicies');
        const policyId = String(JSON.parse(policy.text).Id);
        made.push(entityPath('ContentKeyAuthorizationPolicies', policyId));
        const option = await target.raw.send('POST', {
          path: 'ContentKeyAuthorizationPolicyOptions',
          ...json({ Name: 'ams-conformance', KeyDeliveryType: 2, KeyDeliveryConfiguration: '', Restrictions: [{ Name: 'Token', KeyRestrictionType: 1, Requirements: template }] }),
        });
        expectStatus(option, 201, 'POST ContentKeyAuthorizationPolicyOptions (TokenRestricted, JWT)');
        const optionId = String(JSON.parse(option.text).Id);
        made.push(entityPath('ContentKeyAuthorizationPolicyOptions', optionId));
        const optionLink = `${entityPath('ContentKeyAuthorizationPolicies', policyId)}/$links/Options`;
        expectNoContent(await target.raw.send('POST', { path: optionLink, ...json({ uri: target.raw.url(entityPath('ContentKeyAuthorizationPolicyOptions', optionId)) }) }), `POST ${optionLink}`);
        expectNoContent(await target.raw.send('MERGE', { path: entityPath('ContentKeys', planned.id), ...json({ AuthorizationPolicyId: policyId }) }), 'MERGE ContentKeys AuthorizationPolicyId');

        const urlAnswer = await target.raw.send('POST', { path: `${entityPath('ContentKeys', planned.id)}/GetKeyDeliveryUrl`, ...json({ keyDeliveryType: 2 }) });
        expectStatus(urlAnswer, 200, 'POST ContentKeys(..)/GetKeyDeliveryUrl');
        const keyUrl = String(JSON.parse(urlAnswer.text).value);
        expectThat(new URL(keyUrl).searchParams.get('KID')?.toLowerCase() === guid, `GetKeyDeliveryUrl answered ${keyUrl}, without ?KID=${guid}`);

        const asset = await target.client().createAsset({ Name: 'ams-conformance-envelope', Options: AssetCreationOptions.None });
        resources.track('Assets', asset.Id);
        expectNoContent(await target.raw.send('POST', { path: `${entityPath('Assets', asset.Id)}/$links/ContentKeys`, ...json({ uri: target.raw.url(entityPath('ContentKeys', planned.id)) }) }), 'POST Assets(..)/$links/ContentKeys');
        const delivery = await target.raw.send('POST', {
          path: 'AssetDeliveryPolicies',
          ...json({ Name: 'ams-conformance', AssetDeliveryProtocol: 7, AssetDeliveryPolicyType: 3, AssetDeliveryConfiguration: JSON.stringify([{ Key: 2, Value: keyUrl.split('?')[0] }]) }),
        });
        expectStatus(delivery, 201, 'POST AssetDeliveryPolicies (DynamicEnvelopeEncryption)');
        const deliveryId = String(JSON.parse(delivery.text).Id);
        made.push(entityPath('AssetDeliveryPolicies', deliveryId));
        expectNoContent(await target.raw.send('POST', { path: `${entityPath('Assets', asset.Id)}/$links/DeliveryPolicies`, ...json({ uri: target.raw.url(entityPath('AssetDeliveryPolicies', deliveryId)) }) }), 'POST Assets(..)/$links/DeliveryPolicies');

        const sign = (exp: number) => signJwt({ key: signingKey, issuer, audience, exp, claims: { [KEY_ID_CLAIM]: guid } });
        const now = Math.floor(Date.now() / 1000);
        const good = await fetch(keyUrl, { method: 'POST', headers: { Authorization: `Bearer ${await sign(now + 600)}` }, body: '' });
        const bytes = Buffer.from(await good.arrayBuffer());
        expectThat(good.status === 200 && bytes.equals(planned.key), `POST ${keyUrl} with a valid JWT answered ${good.status} with ${bytes.length} bytes, not the 16-byte key`);
        // An hour past its exp: beyond any clock skew a key delivery service allows (the emulator's is 5 minutes).
        const expired = await fetch(keyUrl, { method: 'POST', headers: { Authorization: `Bearer ${await sign(now - 3600)}` }, body: '' });
        expectThat(expired.status === 401, `POST ${keyUrl} with an expired JWT answered ${expired.status}, not 401`);
      } finally {
        // The asset (and its links) go with the tracked resources; the key must let go of its policy first.
        await target.raw.send('MERGE', { path: entityPath('ContentKeys', planned.id), ...json({ AuthorizationPolicyId: null }) }).catch(() => undefined);
        await resources.cleanup();
        for (const path of made.reverse()) await target.raw.send('DELETE', { path }).catch(() => undefined);
      }
    });
  });
}
