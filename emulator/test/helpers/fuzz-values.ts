/**
 * The raw material of the fuzz requests: hostile strings, ids, JSON values, XML documents, byte
 * sequences and `$filter` expressions, as fast-check arbitraries. Nothing here knows about routes;
 * fuzz-requests.ts assembles these into requests.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import forge from 'node-forge';

/** Percent-encode every byte of the UTF-8 form except unreserved characters (lone surrogates become U+FFFD). */
export function pct(text: string, keep = /[A-Za-z0-9\-._~]/): string {
  let out = '';
  for (const char of text) {
    if (keep.test(char)) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Encode what a URL path segment cannot hold as is, keeping OData's quotes, parentheses, colons and commas readable. */
export function pathSafe(text: string): string {
  return pct(text, /[A-Za-z0-9\-._~'():,$@!*=]/);
}

const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** Strings people do not expect: empty, huge, control characters, unicode planes, lone surrogates, quotes, %-junk. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(lone, fc.constantFrom('a', "'", '\u0000')), maxLength: 8 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      "'",
      "''",
      "'; DROP TABLE Assets; --",
      '%',
      '%zz',
      '%00',
      '%ff%fe',
      '%E0%A4%A',
      '\u0000',
      '\r\n',
      '\uFEFF',
      '\u202E',
      '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
      '../../etc/passwd',
      '..\\..\\windows',
      '__proto__',
      'constructor',
      'null',
      'undefined',
      'NaN',
      '${7*7}',
      '<script>',
      '&amp;',
      ']]>',
      'a'.repeat(513),
      'x'.repeat(4097),
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 12_000 }).map((n) => 'z'.repeat(n)) },
);

/** Entity id tags of each set, as `nb:<tag>:UUID:<guid>`. */
export const ID_TAGS = { Assets: 'cid', Files: 'cid', ContentKeys: 'kid', AccessPolicies: 'pid', Locators: 'lid', Jobs: 'jid', Tasks: 'tid', MediaProcessors: 'mpid', NotificationEndPoints: 'nepid', IngestManifests: 'mid', IngestManifestAssets: 'maid', IngestManifestFiles: 'mfid', AssetDeliveryPolicies: 'adpid', ContentKeyAuthorizationPolicies: 'ckpid', ContentKeyAuthorizationPolicyOptions: 'ckpoid' } as const;

/** Ids that are not ids: wrong tags, no UUID, bad GUIDs, quotes, unicode, huge. */
export const malformedId: fc.Arbitrary<string> = fc.oneof(
  fc.uuid().chain((uuid) =>
    fc.constantFrom(
      uuid,
      `nb:xyz:UUID:${uuid}`,
      `nb:cid:UUID:${uuid}x`,
      `nb:cid:${uuid}`,
      `NB:CID:uuid:${uuid.toUpperCase()}`,
      `nb:kid:UUID:${uuid}`,
      `nb:lid:UUID:${uuid}`,
      `nb:cid:UUID:{${uuid}}`,
      `nb:cid:UUID:${uuid.replace(/-/g, '')}`,
      `nb:cid:UUID:${uuid}'`,
      `nb:cid:UUID:${uuid.slice(0, 20)}`,
      ` nb:cid:UUID:${uuid} `,
    ),
  ),
  hostileString,
);

/** Ways of writing `(<key>)` after an entity set, right and wrong. `key` is the id text. */
export type KeyForm = 'quoted' | 'encoded' | 'unquoted' | 'unterminated' | 'double-quoted' | 'extra-quote' | 'empty-quotes' | 'empty' | 'two-keys' | 'named' | 'no-close' | 'nested';

export const keyForm: fc.Arbitrary<KeyForm> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom<KeyForm>('quoted', 'encoded') },
  { weight: 5, arbitrary: fc.constantFrom<KeyForm>('unquoted', 'unterminated', 'double-quoted', 'extra-quote', 'empty-quotes', 'empty', 'two-keys', 'named', 'no-close', 'nested') },
);

export function keySegment(key: string, form: KeyForm): string {
  const escaped = key.replace(/'/g, "''");
  switch (form) {
    case 'quoted':
      return `('${pathSafe(escaped)}')`;
    case 'encoded':
      return `(${pct(`'${escaped}'`)})`;
    case 'unquoted':
      return `(${pathSafe(key)})`;
    case 'unterminated':
      return `('${pathSafe(key)})`;
    case 'double-quoted':
      return `(%22${pathSafe(key)}%22)`;
    case 'extra-quote':
      return `('${pathSafe(key)}'')`;
    case 'empty-quotes':
      return `('')`;
    case 'empty':
      return '()';
    case 'two-keys':
      return `('${pathSafe(escaped)}','${pathSafe(escaped)}')`;
    case 'named':
      return `(Id='${pathSafe(escaped)}')`;
    case 'no-close':
      return `('${pathSafe(escaped)}'`;
    case 'nested':
      return `(('${pathSafe(escaped)}'))`;
  }
}

/** JSON values of the wrong type for anything: numbers out of range, nested objects, arrays, booleans. */
export const junkJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, -0, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, '', '0', 'true', '1e400', '-1', 'NaN', 'Infinity', [], {}, [null], { __proto__: null }) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }) },
);

/** JSON text nested `depth` levels deep, in arrays or objects. */
export function nestedJson(depth: number, kind: 'array' | 'object' | 'mixed'): string {
  if (kind === 'array') return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  if (kind === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const pairs = Math.floor(depth / 2);
  const odd = depth % 2 === 1;
  return `${'[{"a":'.repeat(pairs)}${odd ? '[' : ''}1${odd ? ']' : ''}${'}]'.repeat(pairs)}`;
}

/** Byte sequences that are not UTF-8: lone continuation bytes, overlong forms, surrogates, truncated sequences, 0xFF. */
export const invalidUtf8: fc.Arbitrary<Buffer> = fc
  .constantFrom([0xff], [0xfe, 0xff], [0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3])
  .map((bytes) => Buffer.from(bytes));

/** A UTF-8 text with invalid bytes spliced in at `at` (clamped). */
export function spliceBytes(text: string, bytes: Buffer, at: number): Buffer {
  const clear = Buffer.from(text, 'utf8');
  const offset = Math.min(Math.max(at, 0), clear.length);
  return Buffer.concat([clear.subarray(0, offset), bytes, clear.subarray(offset)]);
}

export const ATOM_NS = 'http://www.w3.org/2005/Atom';
export const DATA_NS = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
export const META_NS = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';

export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An Atom entry carrying these properties as `<d:Name>` elements (values already XML text). */
export function atomEntry(properties: Record<string, string>, options: { typed?: Record<string, string>; nulls?: string[]; namespaces?: { atom: string; data: string; meta: string }; links?: string } = {}): string {
  const ns = options.namespaces ?? { atom: ATOM_NS, data: DATA_NS, meta: META_NS };
  const props = Object.entries(properties)
    .map(([name, value]) => {
      const type = options.typed?.[name];
      return `<d:${name}${type ? ` m:type="${type}"` : ''}>${value}</d:${name}>`;
    })
    .join('');
  const nulls = (options.nulls ?? []).map((name) => `<d:${name} m:null="true" />`).join('');
  return `<?xml version="1.0" encoding="utf-8"?><entry xmlns="${ns.atom}" xmlns:d="${ns.data}" xmlns:m="${ns.meta}">${options.links ?? ''}<id /><title /><updated>2013-04-20T22:41:57Z</updated><author><name /></author><content type="application/xml"><m:properties>${props}${nulls}</m:properties></content></entry>`;
}

/** XML that a parser must refuse or survive: DTDs, entity expansion, XXE, deep nesting, floods, broken markup. */
export const hostileXml: fc.Arbitrary<string> = fc.oneof(
  fc.constant(
    `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]><entry xmlns="${ATOM_NS}">&lol9;</entry>`,
  ),
  fc.constant(`<?xml version="1.0"?><!DOCTYPE entry [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${atomEntry({ Name: '&xxe;' })}`),
  fc.constant(`<!DOCTYPE entry SYSTEM "http://127.0.0.1:9/x.dtd">${atomEntry({ Name: 'x' })}`),
  fc.constant(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p">%p;]><x/>`),
  fc.integer({ min: 33, max: 20_000 }).map((depth) => `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`),
  fc.integer({ min: 9_000, max: 12_000 }).map((n) => `<entry xmlns="${ATOM_NS}">${'<x/>'.repeat(n)}</entry>`),
  fc.integer({ min: 60, max: 200 }).map((n) => `<entry xmlns="${ATOM_NS}" ${Array.from({ length: n }, (_, i) => `a${i}="v"`).join(' ')}/>`),
  fc.constant(atomEntry({ Name: 'x' }, { namespaces: { atom: 'urn:wrong', data: DATA_NS, meta: META_NS } })),
  fc.constant(atomEntry({ Name: 'x' }, { namespaces: { atom: ATOM_NS, data: 'urn:wrong', meta: 'urn:wrong' } })),
  fc.constant(atomEntry({ Name: 'x' }).replace('</entry>', '')),
  fc.constant(atomEntry({ Name: '<![CDATA[x]]>' })),
  fc.constant(atomEntry({ Name: '&#0;' })),
  fc.constant(atomEntry({ Name: '&#xD800;' })),
  fc.constant(atomEntry({ Name: '&nbsp;' })),
  fc.constant(`<?xml version="1.0" encoding="utf-16"?>${atomEntry({ Name: 'x' }).replace(/^<\?xml[^>]*\?>/, '')}`),
  fc.constant(`<?xml version="1.1"?><entry xmlns="${ATOM_NS}"/>`),
  fc.constant(`<?xml-stylesheet href="x"?><?php echo 1 ?>${atomEntry({ Name: 'x' })}`),
  fc.constant(`<entry xmlns="${ATOM_NS}"></entry><entry xmlns="${ATOM_NS}"></entry>`),
  fc.constant(`<feed xmlns="${ATOM_NS}"><entry/></feed>`),
  fc.constant(`<uri xmlns="${DATA_NS}">not a uri</uri>`),
  fc.constant(`<links xmlns="${DATA_NS}"><uri>x</uri><uri>y</uri></links>`),
  fc.integer({ min: 1_048_000, max: 1_050_000 }).map((n) => atomEntry({ Name: 'n'.repeat(n) })),
  hostileString.map((text) => atomEntry({ Name: text.replace(/[<&]/g, '') })),
  hostileString.map((text) => `<${text}>`),
);

/** A `$filter` expression from a small grammar: mostly well formed, sometimes not, sometimes huge or amplifying. */
const PROPERTIES = ['Name', 'Id', 'Options', 'State', 'Created', 'LastModified', 'AlternateId', 'ContentFileSize', 'IsEncrypted', 'Type', 'Permissions', 'DurationInMinutes', 'Nope', 'name'];
const STRING_LITERALS = ["'a'", "'aa'", "'aaaaaaaa'", "''", "'fuzz'", "'it''s'", "'%'", "'nb:cid:UUID:'", "'\u00e9'"];
const OTHER_LITERALS = ['0', '1', '-1', '1.5', '2147483648', '9223372036854775808', '1e400', '1L', '1.5M', '1.5d', 'true', 'false', 'null', "datetime'2013-01-01T00:00:00'", "datetime'junk'", "guid'00000000-0000-0000-0000-000000000000'", "guid'x'", "X'0A'", "binary'zz'", "time'PT1H'"];

const filterLeaf: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...PROPERTIES), fc.constantFrom(...STRING_LITERALS), fc.constantFrom(...OTHER_LITERALS));

export const filterExpression: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: filterLeaf },
    { weight: 2, arbitrary: fc.tuple(tie('expr'), fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le', 'and', 'or', 'add', 'EQ', '=', '=='), tie('expr')).map(([a, op, b]) => `${a} ${op} ${b}`) },
    { weight: 1, arbitrary: tie('expr').map((e) => `not ${e}`) },
    { weight: 1, arbitrary: tie('expr').map((e) => `(${e})`) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('startswith', 'endswith', 'substringof', 'tolower', 'toupper', 'trim', 'length', 'indexof', 'concat', 'substring', 'replace', 'year', 'round', 'floor', 'ceiling', 'nofunction', 'isof', 'cast'), fc.array(tie('expr'), { maxLength: 3 }))
        .map(([fn, args]) => `${fn}(${args.join(',')})`),
    },
  ),
})).expr;

/**
 * Expressions whose values grow with nesting: `replace` multiplies a string's length by the ratio
 * of its arguments, `concat` adds; a filter of a few hundred characters must not build gigabytes.
 */
export const amplifyingFilter: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('Name', 'AlternateId', "'aaaaaaaaaaaaaaaa'"),
    fc.array(
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom("replace(#,'a','aaaaaaaaaaaaaaaa')", "replace(#,'a','aaaaaaaa')") },
        { weight: 2, arbitrary: fc.constantFrom("concat(#,'aaaaaaaaaaaaaaaa')", 'tolower(#)', 'toupper(#)', 'substring(#,1)', "replace(#,'','b')", 'trim(#)') },
      ),
      { minLength: 1, maxLength: 10 },
    ),
    fc.constantFrom('eq 1', 'gt 0', 'ne 0'),
  )
  .map(([seed, wrappers, comparison]) => {
    let expr: string = seed;
    for (const wrap of wrappers) expr = wrap.replace(/#/g, expr);
    return `length(${expr}) ${comparison}`;
  });

/** Filters too big for the limits: long text, many terms, deep parentheses. */
export const oversizedFilter: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 500, max: 10_000 }).map((n) => Array.from({ length: n }, (_, i) => `Options eq ${i}`).join(' or ')),
  fc.integer({ min: 33, max: 5_000 }).map((n) => `${'('.repeat(n)}Options eq 1${')'.repeat(n)}`),
  fc.integer({ min: 33, max: 2_000 }).map((n) => `${'not '.repeat(n)}true`),
  fc.integer({ min: 33, max: 1_000 }).map((n) => `${'tolower('.repeat(n)}Name${')'.repeat(n)} eq 'a'`),
  fc.integer({ min: 4_097, max: 12_000 }).map((n) => `Name eq '${'q'.repeat(n)}'`),
  fc.integer({ min: 300, max: 3_000 }).map((n) => Array.from({ length: n }, () => "Name eq 'a'").join(' and ')),
);

/** One way to write a path segment that walks (`..`), stays (`.`), or is plain, in any spelling storage or a URL parser may decode. */
const DOT_SEGMENTS = ['..', '.', '%2e%2e', '%2E.', '.%2e', '%252e%252e', '..\\..'];
const NAME_SEPARATORS = ['/', '\\', '%2f', '%5C'];

/**
 * Blob names with path segments: dot segments in every spelling, separators in every spelling,
 * ordinary segments and `landmarks` (another asset's container, a blob in it) mixed in, so some
 * aim at a real target. `escapes` says whether the name, decoded as a client or the SDK would,
 * has a `.`/`..` segment or a backslash: the oracle for "must be refused".
 */
export function namesWithPathSegments(landmarks: readonly string[] = []): fc.Arbitrary<{ name: string; escapes: boolean }> {
  const segment = fc.constantFrom(...DOT_SEGMENTS, 'a', 'b c', 'é', '日本', 'v1.0', '..x', ...landmarks);
  return fc.tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.constantFrom(...NAME_SEPARATORS)).map(([segments, separator]) => {
    const name = segments.join(separator);
    const decoded = decodedFully(name);
    return { name, escapes: decoded.includes('\\') || decoded.startsWith('/') || decoded.split('/').some((s) => s === '.' || s === '..') };
  });
}

/** Percent-decoded until it no longer changes (or no longer decodes). */
function decodedFully(text: string): string {
  let current = text;
  for (let round = 0; round < 4; round++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return current;
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** `text` with the letter case of some of its letters flipped, never `text` itself (it must have a letter). */
export function caseFlipped(text: string): fc.Arbitrary<string> {
  const letters = [...text].flatMap((c, i) => (c.toLowerCase() !== c.toUpperCase() ? [i] : []));
  if (letters.length === 0) throw new RangeError(`caseFlipped needs a letter in ${JSON.stringify(text)}`);
  return fc.uniqueArray(fc.constantFrom(...letters), { minLength: 1, maxLength: letters.length }).map((flip) => {
    const chars = [...text];
    for (const i of flip) chars[i] = chars[i] === chars[i]!.toLowerCase() ? chars[i]!.toUpperCase() : chars[i]!.toLowerCase();
    return chars.join('');
  });
}

/**
 * Dates outside the Edm.DateTime range (0001-01-01 to 9999-12-31) in the spellings clients send:
 * ISO with a year 0000, verbose JSON's `/Date(ms)/` and a bare number of milliseconds past either
 * end (up to JavaScript's own limit of 8.64e15 ms).
 */
export const outOfRangeDate: fc.Arbitrary<string | number> = fc.oneof(
  fc.constantFrom('0000-01-01T00:00:00Z', '0000-12-31T23:59:59Z', "datetime'0000-06-15T12:00:00'"),
  fc.integer({ min: 253_402_300_800_000, max: 8_640_000_000_000_000 }).map((ms) => `/Date(${ms})/`),
  fc.integer({ min: -8_640_000_000_000_000, max: -62_135_596_800_001 }).map((ms) => `/Date(${ms})/`),
  fc.integer({ min: 253_402_300_800_000, max: 8_640_000_000_000_000 }),
);

/** Signs the odd certificates below: their own keys are only public (a modulus may not even factor). */
let certificateSigner: forge.pki.rsa.PrivateKey | undefined;

/**
 * Base64 DER of a well-formed X.509 certificate whose RSA public key is (`modulus`, `exponent`),
 * signed by another key: how a certificate no content key can be wrapped to looks on the wire.
 */
export function certificateWithRsaKey(modulus: bigint, exponent: bigint): string {
  certificateSigner ??= forge.pki.privateKeyFromPem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const big = (n: bigint) => new forge.jsbn.BigInteger(n.toString(16), 16);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(big(modulus), big(exponent));
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date('2020-01-01T00:00:00Z');
  cert.validity.notAfter = new Date('2040-01-01T00:00:00Z');
  cert.setSubject([{ name: 'commonName', value: 'unusable' }]);
  cert.setIssuer([{ name: 'commonName', value: 'fuzz signer' }]);
  cert.sign(certificateSigner, forge.md.sha256.create());
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary').toString('base64');
}

/** An odd number of exactly `bits` bits, top bit set: a stand-in modulus of that size. */
function oddOfBits(bits: number): bigint {
  const bytes = randomBytes(Math.ceil(bits / 8));
  let n = BigInt(`0x${bytes.toString('hex')}`) & ((1n << BigInt(bits)) - 1n);
  n |= (1n << BigInt(bits - 1)) | 1n;
  return n;
}

/**
 * Certificates RebindContentKey cannot wrap a 32-byte key to with RSA-OAEP-SHA1: a modulus too
 * small (below 592 bits) or too large (over 16384), an exponent that is huge, even or 1.
 */
export const unusableCertificate: fc.Arbitrary<{ why: string; certificate: string }> = fc.oneof(
  fc.integer({ min: 256, max: 591 }).map((bits) => ({ why: `${bits}-bit modulus`, certificate: certificateWithRsaKey(oddOfBits(bits), 65537n) })),
  fc.integer({ min: 16_385, max: 17_000 }).map((bits) => ({ why: `${bits}-bit modulus`, certificate: certificateWithRsaKey(oddOfBits(bits), 65537n) })),
  fc.bigInt({ min: 2n ** 64n, max: 2n ** 1500n }).map((e) => ({ why: `${e.toString(2).length}-bit exponent`, certificate: certificateWithRsaKey(oddOfBits(2048), e | 1n) })),
  fc.constantFrom(1n, 2n, 65536n).map((e) => ({ why: `exponent ${e}`, certificate: certificateWithRsaKey(oddOfBits(2048), e) })),
);
