import { describe, expect, it } from 'vitest';
import { KEY_DELIVERY_RULES } from '../../src/domain/key-delivery-rules.js';
import { TOKEN_MISTAKES } from '../../src/domain/token-restriction.js';

/** The token rules are read from a text table at import (domain/key-delivery-rules.ts). */
describe('the key delivery rules', () => {
  it('have one rule per token mistake, in the order of the table, after the key-length rule', () => {
    expect(KEY_DELIVERY_RULES.map((r) => r.id)).toEqual(['content-key-length-aes128', ...TOKEN_MISTAKES.map((m) => `key-delivery-${m}`)]);
  });

  it('read every field of a row, and spell out the signed-token evidence', () => {
    const rule = (mistake: string) => KEY_DELIVERY_RULES.find((r) => r.id === `key-delivery-${mistake}`)!;
    expect(rule('token-wrong-claim')).toEqual({
      id: 'key-delivery-token-wrong-claim',
      severity: 'error',
      area: 'protocol',
      title: 'Key delivery token has a required claim with another value',
      description: 'A RequiredClaims entry with a ClaimValue must be matched exactly.',
      fix: 'Issue the claim with the value the template requires.',
      evidence: "The token as sent; its signature verifies with a verification key of the option's TokenRestrictionTemplate, so the user's token service made it, and the claim's value differs.",
      strictRefuses: false,
    });
    expect(rule('token-missing')).toMatchObject({ severity: 'warning', evidence: 'No token in the request.' });
    for (const r of KEY_DELIVERY_RULES) {
      for (const text of [r.title, r.description, r.fix, r.evidence]) expect(text.trim(), r.id).toBe(text);
      expect(r.evidence.startsWith('signed:'), r.id).toBe(false);
    }
  });
});
