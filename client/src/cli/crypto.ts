import type { KeyObject } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { AmsCtrTransform } from '../crypto/ctr.js';
import { contentKeyChecksum, CHECKSUM_VARIANTS, type ChecksumVariant } from '../crypto/checksum.js';
import { certificateThumbprint } from '../crypto/certificate.js';
import { CryptoInputError } from '../crypto/errors.js';
import { formatIv, randomIv } from '../crypto/iv.js';
import { toPrivateKey, unwrapContentKey, wrapContentKey } from '../crypto/keywrap.js';
import type { CommandGroup, LeafCommand, OptionSpec, ParsedOptions } from './command.js';
import { CommandFailure, UsageError } from './errors.js';
import { parseByteOffset, parseChoice, parseHexKey, parseIvOption, readCertificateFile, readOptionFile } from './inputs.js';
import { writeLine, type CliIo } from './io.js';

/** `ams-client crypto ...`: the storage-encryption primitives, for scripts and for debugging a client. */

const CONTENT_KEY: OptionSpec = {
  name: 'key',
  type: 'string',
  placeholder: 'HEX',
  required: true,
  description: 'the content key: 64 hex digits (32 bytes, AES-256)',
};

const ctrOptions: readonly OptionSpec[] = [
  CONTENT_KEY,
  { name: 'iv', type: 'string', placeholder: 'DECIMAL', required: true, description: "the file's InitializationVector: an unsigned 64-bit decimal number" },
  { name: 'offset', type: 'string', placeholder: 'BYTES', description: 'file offset of the first input byte (decimal, default 0), to process a part of a file' },
];

const ctrDetails =
  'Streams stdin to stdout in constant memory. AES-256-CTR with counter block BE64(IV) || BE64(offset / 16),\n' +
  'the low half wrapping without carry, as the AMS v2 .NET SDK does. Encryption and decryption are the same operation.';

function ctrCommand(name: 'encrypt' | 'decrypt'): LeafCommand {
  return {
    name,
    summary: `${name === 'encrypt' ? 'Encrypt' : 'Decrypt'} stdin to stdout with AMS storage encryption.`,
    details: ctrDetails,
    options: ctrOptions,
    async run(options: ParsedOptions, io: CliIo): Promise<void> {
      const key = parseHexKey('key', options.string('key'), [32]);
      const iv = parseIvOption('iv', options.string('iv'));
      const offsetText = options.optionalString('offset');
      const offset = offsetText === undefined ? 0n : parseByteOffset('offset', offsetText);
      await pipeline(io.stdin, new AmsCtrTransform(key, iv, offset), io.stdout);
    },
  };
}

const checksum: LeafCommand = {
  name: 'checksum',
  summary: "Print a content key's Checksum (base64 of the first 8 bytes of AES-ECB over the key id).",
  details:
    'The variants are the inputs the SDKs used: dotnet = Guid.ToByteArray() (the reference), rfc4122 = the GUID\n' +
    'in RFC 4122 byte order, java = the GUID text, php = the nb:kid:UUID: string.',
  options: [
    { ...CONTENT_KEY, description: 'the content key: 32 or 64 hex digits (16 or 32 bytes)' },
    { name: 'kid', type: 'string', placeholder: 'KID', required: true, description: 'the content key id, nb:kid:UUID:<guid>' },
    { name: 'variant', type: 'string', placeholder: CHECKSUM_VARIANTS.join('|'), description: 'how the checksum input is formed (default dotnet)' },
  ],
  async run(options, io) {
    const key = parseHexKey('key', options.string('key'), [16, 32]);
    const variantText = options.optionalString('variant');
    const variant: ChecksumVariant = variantText === undefined ? 'dotnet' : parseChoice('variant', variantText, CHECKSUM_VARIANTS);
    let value: string;
    try {
      value = contentKeyChecksum(key, options.string('kid'), variant);
    } catch (err) {
      if (err instanceof CryptoInputError) throw new UsageError(`--kid: ${err.message}`);
      throw err;
    }
    await writeLine(io, value);
  },
};

const CERT: OptionSpec = {
  name: 'cert',
  type: 'string',
  placeholder: 'FILE',
  required: true,
  description: 'the protection certificate: DER, PEM, or the base64 DER string GetProtectionKey returns',
};

const wrap: LeafCommand = {
  name: 'wrap',
  summary: 'Wrap a content key to a protection certificate (RSA-OAEP, SHA-1, MGF1-SHA-1): the EncryptedContentKey, base64.',
  options: [CERT, CONTENT_KEY],
  async run(options, io) {
    const key = parseHexKey('key', options.string('key'), [32]);
    const certificate = await readCertificateFile('cert', options.string('cert'));
    await writeLine(io, wrapContentKey(certificate.x509.publicKey, key).toString('base64'));
  },
};

const unwrap: LeafCommand = {
  name: 'unwrap',
  summary: "Open an EncryptedContentKey with the protection certificate's private key: the content key, hex.",
  details: 'When the key does not open, the message says which wrapping mistake it matches (SHA-256, PKCS#1 v1.5, another certificate).',
  options: [
    { name: 'private-key', type: 'string', placeholder: 'PEMFILE', required: true, description: "the protection certificate's private key, PEM" },
    { name: 'wrapped', type: 'string', placeholder: 'BASE64', required: true, description: 'the EncryptedContentKey, base64' },
  ],
  async run(options, io) {
    const pemFile = options.string('private-key');
    const pem = (await readOptionFile('private-key', pemFile)).toString('utf8');
    let privateKey: KeyObject;
    try {
      privateKey = toPrivateKey(pem);
    } catch (err) {
      if (err instanceof CryptoInputError) throw new CommandFailure(`the --private-key file ${JSON.stringify(pemFile)}: ${err.message}`);
      throw err;
    }
    let contentKey: Buffer;
    try {
      contentKey = unwrapContentKey(privateKey, options.string('wrapped'));
    } catch (err) {
      if (err instanceof CryptoInputError && err.reason === 'not-base64') throw new UsageError(`--wrapped: ${err.message}`);
      if (err instanceof CryptoInputError) throw new CommandFailure(`the key does not unwrap: ${err.message}`);
      throw err;
    }
    await writeLine(io, contentKey.toString('hex'));
  },
};

const thumbprint: LeafCommand = {
  name: 'thumbprint',
  summary: "Print a certificate's thumbprint (upper-case hex SHA-1 of the DER), the ProtectionKeyId.",
  options: [CERT],
  async run(options, io) {
    const certificate = await readCertificateFile('cert', options.string('cert'));
    await writeLine(io, certificateThumbprint(certificate.der));
  },
};

const iv: LeafCommand = {
  name: 'iv',
  summary: 'Print a fresh random InitializationVector (unsigned 64-bit, decimal), as the .NET SDK makes them.',
  options: [],
  async run(_options, io) {
    await writeLine(io, formatIv(randomIv()));
  },
};

export const cryptoCommands: CommandGroup = {
  name: 'crypto',
  summary: 'AMS v2 storage-encryption primitives: checksums, file encryption, key wrapping, certificates.',
  commands: [checksum, ctrCommand('encrypt'), ctrCommand('decrypt'), wrap, unwrap, thumbprint, iv],
};
