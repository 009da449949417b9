import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  VECTORS_DIR, KNOWN_KINDS, allPassed, checkVector, formatReport, listVectorFiles, locateVectorsDir, verifyAll, verifyVectorFile,
} from '../verify.js';
import { loadVectorSchemaValidator } from '../schema.js';
import type { VectorBase, VectorFile, VectorSource } from '../types.js';

interface LoadedFile {
  name: string;
  path: string;
  data: VectorFile;
}

const files: LoadedFile[] = listVectorFiles().map((path) => ({
  name: basename(path),
  path,
  data: JSON.parse(readFileSync(path, 'utf8')) as VectorFile,
}));
const validate = loadVectorSchemaValidator(VECTORS_DIR);

/** What each file must hold: a vector dropped or added by accident changes a count here. */
const EXPECTED_COUNTS: Record<string, number> = {
  'ams-storage-encryption-derived.json': 8,
  'ams-v2-reference-kat.json': 16,
  'dotnet-guid-tobytearray.json': 5,
  'nist-sp800-38a-ctr.json': 8,
  'pkcs1v21-oaep-vect-sha1.json': 60,
  'wycheproof-rsa-oaep-2048-sha1.json': 36,
};

describe.each(files)('$name', ({ data }) => {
  it('validates against schema.json', () => {
    expect(validate(data)).toEqual([]);
  });

  it('gives every vector a unique id', () => {
    const ids = data.vectors.map((v) => v.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(data.vectors)('$id ($kind)', (vector) => {
    const result = checkVector(vector);
    expect(result.message).toBeUndefined();
    expect(result.passed).toBe(true);
  });
});

describe('coverage of the vector folder', () => {
  const results = verifyAll();

  it('checks every *.json except schema.json, each with one result per vector', () => {
    const onDisk = readdirSync(VECTORS_DIR).filter((n) => n.endsWith('.json') && n !== 'schema.json').sort();
    expect(results.map((r) => r.file)).toEqual(onDisk);
    expect(Object.keys(EXPECTED_COUNTS).sort()).toEqual(onDisk);
    for (const r of results) {
      const data = files.find((f) => f.name === r.file)!.data;
      expect(r.results.map((v) => v.id), r.file).toEqual(data.vectors.map((v) => v.id));
      expect(r.results.length, r.file).toBe(EXPECTED_COUNTS[r.file]);
      expect(r.passed + r.failed, r.file).toBe(data.vectors.length);
    }
  });

  it('passes as a whole, as `npm run vectors:verify` reports it', () => {
    expect(results.flatMap((r) => [...r.fileErrors, ...r.results.filter((v) => !v.passed).map((v) => `${v.id}: ${v.message}`)])).toEqual([]);
    expect(allPassed(results)).toBe(true);
    const report = formatReport(results).split('\n');
    expect(report).toContain('nist-sp800-38a-ctr.json: 8 passed, 0 failed');
    expect(report.at(-1)).toBe('total: 133 passed, 0 failed in 6 files');
  });

  it('has data for every kind the verifier knows, and no vector of another kind', () => {
    const kinds = new Set(files.flatMap((f) => f.data.vectors.map((v) => v.kind)));
    expect([...kinds].sort()).toEqual([...KNOWN_KINDS].sort());
  });

  it('keeps the negative cases: the naive 128-bit counter output and the RFC 4122-order checksum', () => {
    const negatives = files.flatMap((f) => f.data.vectors).filter((v) => (v as { expect?: string }).expect === 'mismatch');
    expect(negatives.map((v) => `${v.kind}:${(v as { wrongOutputOf?: string }).wrongOutputOf}`).sort()).toEqual([
      'aes-ctr-ams:128-bit-counter',
      'content-key-checksum:rfc4122',
    ]);
  });

  it('keeps all Wycheproof cases: 17 valid (7 with a label) and 19 invalid', () => {
    const vectors = files.find((f) => f.name === 'wycheproof-rsa-oaep-2048-sha1.json')!.data.vectors as unknown as { result: string; label: string }[];
    expect(vectors.filter((v) => v.result === 'valid')).toHaveLength(17);
    expect(vectors.filter((v) => v.result === 'invalid')).toHaveLength(19);
    expect(vectors.filter((v) => v.result === 'valid' && v.label !== '')).toHaveLength(7);
  });

  it('marks the §11 values computed by the reference\'s author as such, with their section', () => {
    const kat = files.find((f) => f.name === 'ams-v2-reference-kat.json')!.data;
    for (const vector of kat.vectors) {
      const source: VectorSource = vector.source ?? kat.source;
      expect(source.section, vector.id).toMatch(/^§11/);
      if (source.origin === 'computed') expect(source.computedBy, vector.id).toMatch(/ams-v2-reference\.md, not Microsoft/);
    }
    const published = kat.vectors.filter((v) => (v.source ?? kat.source).origin === 'published').map((v) => v.id);
    expect(published.sort()).toEqual(['kat-1-protection-certificate-thumbprint', 'kat-5-fake-service-content-key']);
  });

  it('finds the vector folder from the built script in dist/vectors', () => {
    const root = resolve(VECTORS_DIR, '..');
    expect(locateVectorsDir(join(root, 'dist', 'vectors'))).toBe(join(root, 'vectors'));
    expect(locateVectorsDir(VECTORS_DIR)).toBe(VECTORS_DIR);
  });
});

describe('the verifier fails when it should', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ams-vectors-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  copyFileSync(join(VECTORS_DIR, 'schema.json'), join(scratch, 'schema.json'));

  function verifyChanged(fileName: string, change: (data: VectorFile) => void): ReturnType<typeof verifyVectorFile> {
    const data = JSON.parse(readFileSync(join(VECTORS_DIR, fileName), 'utf8')) as VectorFile;
    change(data);
    const path = join(scratch, fileName);
    writeFileSync(path, JSON.stringify(data));
    return verifyVectorFile(path);
  }
  const vectorById = (data: VectorFile, id: string) => data.vectors.find((v) => v.id === id) as VectorBase & Record<string, unknown>;
  const failedIds = (r: ReturnType<typeof verifyVectorFile>) => r.results.filter((v) => !v.passed).map((v) => v.id);

  it('reports a changed ciphertext byte, naming the vector', () => {
    const r = verifyChanged('ams-v2-reference-kat.json', (d) => {
      const v = vectorById(d, 'ctr-hello-iv-0');
      v.ciphertext = `ff${String(v.ciphertext).slice(2)}`;
    });
    expect(failedIds(r)).toEqual(['ctr-hello-iv-0']);
    expect(r.results.find((v) => v.id === 'ctr-hello-iv-0')!.message).toMatch(/one-shot amsCtr/);
    expect(allPassed([r])).toBe(false);
  });

  it('fails a negative CTR vector that holds the right output, or a wrong output that is not the named mistake', () => {
    const right = verifyChanged('ams-storage-encryption-derived.json', (d) => {
      vectorById(d, 'wrap-naive-128-bit-counter-is-wrong').ciphertext = vectorById(d, 'wrap-from-block-2e64-minus-3').ciphertext;
    });
    expect(failedIds(right)).toEqual(['wrap-naive-128-bit-counter-is-wrong']);
    const random = verifyChanged('ams-storage-encryption-derived.json', (d) => {
      vectorById(d, 'wrap-naive-128-bit-counter-is-wrong').ciphertext = '00'.repeat(80);
    });
    expect(random.results.find((v) => v.id === 'wrap-naive-128-bit-counter-is-wrong')!.message).toMatch(/128-bit-counter/);
  });

  it('fails an invalid Wycheproof case relabelled as valid, and a valid one with another message', () => {
    const r = verifyChanged('wycheproof-rsa-oaep-2048-sha1.json', (d) => {
      vectorById(d, 'tc-12').result = 'valid';
      vectorById(d, 'tc-2').message = 'ff'.repeat(20);
      vectorById(d, 'tc-8').label = '00';
    });
    expect(failedIds(r)).toEqual(['tc-2', 'tc-8', 'tc-12']);
  });

  it('fails a seeded OAEP example whose seed changed', () => {
    const r = verifyChanged('pkcs1v21-oaep-vect-sha1.json', (d) => {
      const v = vectorById(d, 'example-10.1');
      v.seed = `${String(v.seed).slice(0, -2)}00`;
    });
    expect(failedIds(r)).toEqual(['example-10.1']);
  });

  it('fails an unknown kind as a vector and as a schema error', () => {
    const r = verifyChanged('dotnet-guid-tobytearray.json', (d) => {
      vectorById(d, d.vectors[0]!.id).kind = 'guid-java-bytes';
    });
    expect(r.results[0]).toMatchObject({ passed: false, message: 'unknown vector kind "guid-java-bytes"' });
    expect(r.fileErrors.join('\n')).toMatch(/\/vectors\/0\/kind must be equal to one of the allowed values/);
  });

  it('rejects schema violations: upper-case hex, a numeric offset, an unknown field, a missing source field, a duplicate id', () => {
    const r = verifyChanged('nist-sp800-38a-ctr.json', (d) => {
      const first = vectorById(d, 'f.5.5-ctr-aes256-encrypt');
      first.key = String(first.key).toUpperCase();
      (vectorById(d, 'f.5.6-ctr-aes256-decrypt') as Record<string, unknown>).offset = 287050344812725137392;
      vectorById(d, 'f.5.5-block-1-alone').counterBlocks = [];
      delete (d.source as Partial<VectorSource>).publication;
      vectorById(d, 'f.5.5-block-2-alone').id = 'f.5.5-block-3-alone';
    });
    const errors = r.fileErrors.join('\n');
    expect(errors).toMatch(/\/vectors\/0\/key must match pattern/);
    expect(errors).toMatch(/\/vectors\/1\/offset must be string/);
    expect(errors).toMatch(/\/vectors\/2 must NOT have unevaluated properties: .*counterBlocks/);
    expect(errors).toMatch(/\/source must have required property 'publication'/);
    expect(errors).toMatch(/duplicate vector id "f.5.5-block-3-alone"/);
  });

  it('requires computedBy for computed values and wrongOutputOf for a negative case', () => {
    const r = verifyChanged('ams-storage-encryption-derived.json', (d) => {
      delete (d.source as Partial<VectorSource>).computedBy;
      delete vectorById(d, 'checksum-nist-key-rfc4122-order-is-wrong').wrongOutputOf;
    });
    const errors = r.fileErrors.join('\n');
    expect(errors).toMatch(/\/source must have required property 'computedBy'/);
    expect(errors).toMatch(/\/vectors\/7 must have required property 'wrongOutputOf'/);
  });

  it('counts an unreadable file as failed', () => {
    const path = join(scratch, 'broken.json');
    writeFileSync(path, '{ "vectors": [');
    const r = verifyVectorFile(path);
    expect(r.fileErrors[0]).toMatch(/not readable JSON/);
    expect(allPassed([r])).toBe(false);
  });
});
