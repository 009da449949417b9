import { templateProblems, type TokenClaim, type TokenRestrictionTemplate, type TokenType, type VerificationKey } from '../domain/token-restriction.js';
import { badRequest, ODataError } from './errors.js';
import { parseXml, type XmlElement } from './atom/xml-parse.js';

/**
 * The `Requirements` XML of a TokenRestricted restriction, read as the .NET SDK's
 * DataContractSerializer writes it (ams-v2-surface.md §2.4): root `TokenRestrictionTemplate` in
 * the TokenRestrictionTemplate/v1 namespace, children in any order, keys typed by `i:type`.
 * The emulator re-checks what the SDK's serializer checked (§10: whether the service did is
 * unconfirmed; a template the key delivery service could never satisfy is better refused at once).
 */
export const TOKEN_TEMPLATE_NS = 'http://schemas.microsoft.com/Azure/MediaServices/KeyDelivery/TokenRestrictionTemplate/v1';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** Templates are a few kilobytes; these bound what a hostile one costs. */
const TEMPLATE_LIMITS = { maxDepth: 8, maxElements: 1_000, maxAttributes: 32, maxTextLength: 64 * 1024 };

export function readTokenRestrictionTemplate(xml: string, where: string): TokenRestrictionTemplate {
  let root: XmlElement;
  try {
    root = parseXml(xml, TEMPLATE_LIMITS);
  } catch (err) {
    if (err instanceof ODataError) throw badRequest(`${where} is not a TokenRestrictionTemplate XML document: ${err.message}`);
    throw err;
  }
  if (root.local !== 'TokenRestrictionTemplate' || root.uri !== TOKEN_TEMPLATE_NS) {
    throw badRequest(`${where} must be a <TokenRestrictionTemplate xmlns="${TOKEN_TEMPLATE_NS}">, not <${root.local}> in ${JSON.stringify(root.uri)}`);
  }
  const child = (parent: XmlElement, name: string) => parent.children.find((c) => c.local === name && c.uri === TOKEN_TEMPLATE_NS);
  const tokenTypeText = child(root, 'TokenType')?.text.trim() ?? 'SWT';
  if (tokenTypeText !== 'SWT' && tokenTypeText !== 'JWT') throw badRequest(`${where}: TokenType ${JSON.stringify(tokenTypeText)} is not SWT or JWT`);
  const primary = child(root, 'PrimaryVerificationKey');
  const alternates = child(root, 'AlternateVerificationKeys');
  const discovery = child(root, 'OpenIdConnectDiscoveryDocument');
  const template: TokenRestrictionTemplate = {
    tokenType: tokenTypeText as TokenType,
    issuer: child(root, 'Issuer')?.text.trim() ?? '',
    audience: child(root, 'Audience')?.text.trim() ?? '',
    primaryKey: primary && !isNil(primary) ? verificationKey(primary, where) : null,
    alternateKeys: alternates ? alternates.children.filter((c) => c.uri === TOKEN_TEMPLATE_NS).map((c) => verificationKey(c, where)) : [],
    openIdDiscoveryUri: discovery && !isNil(discovery) ? (child(discovery, 'OpenIdDiscoveryUri')?.text.trim() ?? '') : null,
    requiredClaims: (child(root, 'RequiredClaims')?.children ?? []).filter((c) => c.uri === TOKEN_TEMPLATE_NS).map((c) => claim(c, child, where)),
  };
  const problems = templateProblems(template);
  if (problems.length > 0) throw badRequest(`${where}: ${problems.join('; ')}`);
  return template;
}

function isNil(element: XmlElement): boolean {
  return element.attributes.some((a) => a.uri === XSI_NS && a.local === 'nil' && a.value.trim() === 'true');
}

function xsiType(element: XmlElement): string {
  const value = element.attributes.find((a) => a.uri === XSI_NS && a.local === 'type')?.value ?? '';
  return value.slice(value.indexOf(':') + 1);
}

function verificationKey(element: XmlElement, where: string): VerificationKey {
  const type = xsiType(element);
  const text = (name: string) => element.children.find((c) => c.local === name)?.text.trim() ?? '';
  switch (type) {
    case 'SymmetricVerificationKey':
      return { kind: 'symmetric', key: base64(text('KeyValue'), `${where}: SymmetricVerificationKey KeyValue`) };
    case 'X509CertTokenVerificationKey':
      return { kind: 'x509', certificate: base64(text('RawBody'), `${where}: X509CertTokenVerificationKey RawBody`) };
    case 'RsaTokenVerificationKey': {
      const raw = base64(text('RawBody'), `${where}: RsaTokenVerificationKey RawBody`).toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw badRequest(`${where}: RsaTokenVerificationKey RawBody must be base64 of a JSON object {"e":…,"n":…}`);
      }
      const { e, n } = (parsed ?? {}) as { e?: unknown; n?: unknown };
      if (typeof e !== 'string' || typeof n !== 'string') throw badRequest(`${where}: RsaTokenVerificationKey RawBody must hold "e" and "n" (base64url)`);
      return { kind: 'rsa', modulus: n, exponent: e };
    }
    default:
      throw badRequest(`${where}: <${element.local}> needs i:type SymmetricVerificationKey, X509CertTokenVerificationKey or RsaTokenVerificationKey, not ${JSON.stringify(type)}`);
  }
}

function claim(element: XmlElement, child: (parent: XmlElement, name: string) => XmlElement | undefined, where: string): TokenClaim {
  const type = child(element, 'ClaimType')?.text.trim() ?? '';
  if (type === '') throw badRequest(`${where}: a TokenClaim needs a ClaimType`);
  const value = child(element, 'ClaimValue');
  return { type, value: value === undefined || isNil(value) ? null : value.text };
}

function base64(text: string, what: string): Buffer {
  if (text === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text.replace(/\s+/g, ''))) throw badRequest(`${what} must be base64`);
  return Buffer.from(text, 'base64');
}
