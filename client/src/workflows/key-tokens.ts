import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';

/**
 * What a publisher's token service makes for envelope key delivery (ams-v2-surface.md §2.4, §2.6):
 * the TokenRestrictionTemplate XML as the .NET SDK's serializer writes it, and the tokens a player
 * presents, JWT (HS256/384/512) and SWT (the SDK's test-token form).
 */
export const KEY_ID_CLAIM = 'urn:microsoft:azure:mediaservices:contentkeyidentifier';
export const TEMPLATE_NS = 'http://schemas.microsoft.com/Azure/MediaServices/KeyDelivery/TokenRestrictionTemplate/v1';

export interface TokenTemplate {
  tokenType: 'JWT' | 'SWT';
  issuer: string;
  audience: string;
  key: Buffer;
  alternateKeys?: readonly Buffer[];
  /** Claim type -> required value; null: any value (for the key id claim: the requested key's GUID). */
  claims?: Readonly<Record<string, string | null>>;
}

const xmlText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The template's XML, children in DataContract order, as `Requirements` of a TokenRestricted restriction. */
export function tokenTemplateXml(template: TokenTemplate): string {
  const key = (k: Buffer, tag: string) => `<${tag} i:type="SymmetricVerificationKey"><KeyValue>${k.toString('base64')}</KeyValue></${tag}>`;
  const alternates = (template.alternateKeys ?? []).map((k) => key(k, 'TokenVerificationKey')).join('');
  const claims = Object.entries(template.claims ?? {})
    .map(([type, value]) => `<TokenClaim><ClaimType>${xmlText(type)}</ClaimType>${value === null ? '<ClaimValue i:nil="true" />' : `<ClaimValue>${xmlText(value)}</ClaimValue>`}</TokenClaim>`)
    .join('');
  return (
    `<TokenRestrictionTemplate xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="${TEMPLATE_NS}">` +
    `<AlternateVerificationKeys>${alternates}</AlternateVerificationKeys><Audience>${xmlText(template.audience)}</Audience><Issuer>${xmlText(template.issuer)}</Issuer>` +
    `${key(template.key, 'PrimaryVerificationKey')}<RequiredClaims>${claims}</RequiredClaims><TokenType>${template.tokenType}</TokenType></TokenRestrictionTemplate>`
  );
}

export interface TokenFields {
  key: Buffer;
  issuer: string;
  audience: string | string[];
  /** Seconds since 1970. */
  exp: number;
  nbf?: number;
  claims?: Readonly<Record<string, string>>;
  alg?: 'HS256' | 'HS384' | 'HS512';
}

/** Fields of a token that may lack its issuer, audience or expiry (a token service's mistake, for the tests of one). */
export type LooseTokenFields = Omit<TokenFields, 'issuer' | 'audience' | 'exp'> & Partial<Pick<TokenFields, 'issuer' | 'audience' | 'exp'>>;

export function signJwt(fields: LooseTokenFields): Promise<string> {
  const builder = new SignJWT({ ...(fields.claims ?? {}) }).setProtectedHeader({ alg: fields.alg ?? 'HS256', typ: 'JWT' });
  if (fields.issuer !== undefined) builder.setIssuer(fields.issuer);
  if (fields.audience !== undefined) builder.setAudience(fields.audience);
  if (fields.exp !== undefined) builder.setExpirationTime(fields.exp);
  if (fields.nbf !== undefined) builder.setNotBefore(fields.nbf);
  return builder.sign(new Uint8Array(fields.key));
}

/** `claim=value&…&Audience=…&ExpiresOn=…&Issuer=…&HMACSHA256=…`, as TokenRestrictionTemplateSerializer.GenerateTestToken wrote it. */
export function signSwt(fields: Omit<TokenFields, 'nbf' | 'alg' | 'audience'> & { audience: string }): string {
  const enc = encodeURIComponent;
  const parts = Object.entries(fields.claims ?? {}).map(([k, v]) => `${enc(k)}=${enc(v)}`);
  parts.push(`Audience=${enc(fields.audience)}`, `ExpiresOn=${fields.exp}`, `Issuer=${enc(fields.issuer)}`);
  const unsigned = parts.join('&');
  return `${unsigned}&HMACSHA256=${enc(createHmac('sha256', fields.key).update(unsigned, 'utf8').digest('base64'))}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
