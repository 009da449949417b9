import type { RuleDef } from './rule-def.js';
import { isTokenMistake, TOKEN_MISTAKES } from './token-restriction.js';

/**
 * Findings of content protection: keys of the dynamic-encryption types with the wrong length, and
 * the token mistakes the key delivery service refused. Each token rule rests on the token as
 * sent: a claim mistake is reported only after the signature verified with the template's key (the
 * user's own token service made the token); a signature that verifies with no key of the template
 * is reported as what was observed, a warning, since the emulator cannot tell who signed it.
 */
const SIGNED = 'The token as sent; its signature verifies with a verification key of the option\'s TokenRestrictionTemplate, so the user\'s token service made it, and';

/**
 * The token rules as a table: a rule is a line `<mistake>  <severity>`, then four indented lines,
 * its title, description, fix and evidence; evidence written `signed: <what>` is SIGNED followed by
 * what the signed token got wrong. Every TokenMistake has exactly one rule, checked at import.
 */
const TOKEN_RULE_TABLE = `
token-missing  warning
    Key request without a token for a token-restricted key
    The option authorizing the key is TokenRestricted; the request carried no Authorization header, no "Bearer=" form and no token query parameter.
    Send the token your token service issued: "Authorization: Bearer <token>" (Azure Media Player: authenticationToken "Bearer=<token>" for SWT).
    No token in the request.
token-malformed  error
    Key delivery token cannot be read as the template's token type
    The TokenRestrictionTemplate says SWT or JWT; the token is neither well-formed nor of that type.
    Issue the token type the template names (TokenType), encoded as the SDK does (SWT: form-encoded claims then &HMACSHA256=; JWT: compact JWS).
    The token text, which does not parse as the template's type.
token-wrong-signing-key  warning
    Key delivery token signed with a key the template does not have
    The signature does not verify with the PrimaryVerificationKey nor any AlternateVerificationKey of the template: the token service signs with another key (a rotated or test key), or the token was not made by it.
    Sign with the template's PrimaryVerificationKey (or add the key you sign with as an AlternateVerificationKey).
    Observed only: the signature verifies with none of the template's keys; who signed it cannot be known.
token-wrong-issuer  error
    Key delivery token has another issuer than the template
    The token's iss (SWT: Issuer) must equal the template's Issuer exactly.
    Issue tokens with the Issuer the TokenRestrictionTemplate names (or change the template).
    signed: its issuer differs from the template's.
token-wrong-audience  error
    Key delivery token has another audience than the template
    The token's aud (SWT: Audience) must be the template's Audience.
    Issue tokens for the Audience the TokenRestrictionTemplate names.
    signed: its audience differs from the template's.
token-expired  error
    Key delivery token expired (or has no expiry)
    The key delivery service refuses a token at or after its exp (SWT: ExpiresOn), and one without it; the emulator allows no clock skew.
    Request the key with a fresh token; give tokens an expiry long enough for the player to fetch its keys.
    signed: its exp is at or before the request time, or absent.
token-not-yet-valid  error
    Key delivery token is not valid yet
    The token's nbf is after the request time.
    Do not set nbf in the future (check the token service's clock).
    signed: its nbf is after the request time.
token-missing-key-id-claim  error
    Key delivery token lacks the content key identifier claim
    A template that requires urn:microsoft:azure:mediaservices:contentkeyidentifier wants the requested key's GUID in that claim.
    Add the claim urn:microsoft:azure:mediaservices:contentkeyidentifier with the key's GUID (no nb:kid:UUID: prefix).
    signed: the claim is absent.
token-wrong-key-id-claim  error
    Key delivery token names another content key
    The content key identifier claim must be the GUID of the key requested (?KID=).
    Put the requested key's GUID (lower case, hyphenated) in urn:microsoft:azure:mediaservices:contentkeyidentifier; one token per key.
    signed: the claim names another key.
token-missing-claim  error
    Key delivery token lacks a required claim
    Every RequiredClaims entry of the template must be in the token.
    Add the template's required claims to the tokens you issue.
    signed: the claim is absent.
token-wrong-claim  error
    Key delivery token has a required claim with another value
    A RequiredClaims entry with a ClaimValue must be matched exactly.
    Issue the claim with the value the template requires.
    signed: the claim's value differs.
token-not-verifiable  warning
    Key delivery token cannot be checked offline
    The template verifies tokens through an OpenID Connect discovery document only, which the offline emulator cannot fetch.
    For tests against the emulator, give the template a PrimaryVerificationKey.
    The template as stored: it has no verification key.
`;

function tokenRules(table: string): RuleDef[] {
  const lines = table.split('\n').filter((line) => line.trim() !== '');
  const rules: RuleDef[] = [];
  for (let at = 0; at < lines.length; at += 5) {
    const [mistake = '', severity = '', ...rest] = lines[at]!.trim().split(/\s+/);
    const fields = lines.slice(at + 1, at + 5);
    if (!isTokenMistake(mistake) || (severity !== 'error' && severity !== 'warning') || rest.length > 0 || fields.length !== 4 || fields.some((f) => !/^\s/.test(f))) {
      throw new TypeError(`Token rule table, line ${JSON.stringify(lines[at])}: expected '<mistake>  <severity>' and four indented lines`);
    }
    const [title, description, fix, evidence] = fields.map((f) => f.trim()) as [string, string, string, string];
    const signed = evidence.startsWith('signed: ') ? `${SIGNED} ${evidence.slice('signed: '.length)}` : evidence;
    rules.push({ id: `key-delivery-${mistake}`, severity, area: 'protocol', title, description, fix, evidence: signed, strictRefuses: false });
  }
  const missing = TOKEN_MISTAKES.filter((m) => rules.filter((r) => r.id === `key-delivery-${m}`).length !== 1);
  if (missing.length > 0) throw new TypeError(`Token rule table: not exactly one rule for ${missing.join(', ')}`);
  return rules;
}

export const KEY_DELIVERY_RULES: readonly RuleDef[] = [
  {
    id: 'content-key-length-aes128',
    severity: 'error',
    area: 'rsa-oaep-unwrapping',
    title: 'Envelope or common-encryption content key is not 16 bytes',
    description: 'Dynamic encryption is AES-128: EnvelopeEncryption (4), CommonEncryption (0) and CommonEncryptionCbcs (6) keys must be exactly 16 bytes; the key delivery service hands these bytes to players as they are.',
    fix: 'Generate 16 random bytes for an EnvelopeEncryption or CommonEncryption key (32 only for StorageEncryption).',
    evidence: 'The unwrapped key itself, which is not 16 bytes long.',
    strictRefuses: true,
  },
  ...tokenRules(TOKEN_RULE_TABLE),
];
