import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPO } from '../../test/support/build.js';
import { junitXml, type RunReport } from '../src/index.js';
import { referenceCtr } from '../src/suites/ctr-reference.js';
import { parseBanner } from '../src/validate-client/banner.js';
import { attr, elements, parseXml } from './support.js';

/** The pieces the kit's verdicts rest on: its own CTR reference, the banner reader, the JUnit writer. */

interface CtrVector {
  id: string;
  kind: string;
  key: string;
  iv: string;
  offset: string;
  plaintext: string;
  ciphertext: string;
  expect?: string;
}

function ctrVectors(file: string): CtrVector[] {
  const parsed = JSON.parse(readFileSync(`${REPO}vectors/${file}`, 'utf8')) as { vectors: CtrVector[] };
  return parsed.vectors.filter((v) => v.kind === 'aes-ctr-ams');
}

describe("the kit's per-block CTR reference", () => {
  const vectors = [...ctrVectors('ams-storage-encryption-derived.json'), ...ctrVectors('ams-v2-reference-kat.json')];

  it('has vectors to check against, including the 2^64 wrap', () => {
    expect(vectors.map((v) => v.id)).toEqual(expect.arrayContaining(['wrap-from-block-2e64-minus-3', 'ctr-seek-bytes-20-49']));
  });

  for (const v of vectors) {
    it(`${v.id}: ${v.expect === 'mismatch' ? 'differs from the wrong output' : 'reproduces the ciphertext'}`, () => {
      const out = referenceCtr(Buffer.from(v.key, 'hex'), BigInt(v.iv), Buffer.from(v.plaintext, 'hex'), BigInt(v.offset)).toString('hex');
      if (v.expect === 'mismatch') expect(out).not.toBe(v.ciphertext);
      else expect(out).toBe(v.ciphertext);
    });
  }
});

describe('the emulator banner', () => {
  const banner = [
    'ams-v2-emulator 0.1.0',
    '  API:                  http://127.0.0.1:46753/api/',
    '  Token endpoints:      http://127.0.0.1:46753/v2/OAuth2-13 (ACS)',
    '                        http://127.0.0.1:46753/devtenant/oauth2/token (Azure AD v1, resource=https://rest.media.azure.net)',
    '                        http://127.0.0.1:46753/devtenant/oauth2/v2.0/token (Azure AD v2, scope=https://rest.media.azure.net/.default)',
    '  Dev credentials:      client_id=devmediaaccount1 client_secret=Zm9y=',
    '  Protection key id:    72171A8949F9D475215E2EB1E576C029042F54F8',
    '  Storage:              embedded Azurite http://127.0.0.1:45855',
    '  Storage connection:   DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a==;BlobEndpoint=http://127.0.0.1:45855/devstoreaccount1;',
    '  Data directory:       in memory (nothing is written to disk)',
    '  Mode:                 compat, auth any',
    '  Health:               http://127.0.0.1:46753/_emulator/health',
    '',
  ].join('\n');

  it('is read once its Health line is out, with every endpoint and credential', () => {
    expect(parseBanner(banner.slice(0, banner.indexOf('  Health:')))).toBeUndefined();
    expect(parseBanner(banner)).toEqual({
      api: 'http://127.0.0.1:46753/api/',
      tokenEndpoints: {
        acs: 'http://127.0.0.1:46753/v2/OAuth2-13',
        aadV1: 'http://127.0.0.1:46753/devtenant/oauth2/token',
        aadV2: 'http://127.0.0.1:46753/devtenant/oauth2/v2.0/token',
      },
      clientId: 'devmediaaccount1',
      clientSecret: 'Zm9y=',
      storageConnectionString: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a==;BlobEndpoint=http://127.0.0.1:45855/devstoreaccount1;',
      health: 'http://127.0.0.1:46753/_emulator/health',
    });
  });

  it('says which line is missing from a banner that has a Health line but no API', () => {
    expect(() => parseBanner(banner.replace(/ {2}API:.*\n/, ''))).toThrow(/lacks API/);
  });
});

describe('JUnit XML', () => {
  const nasty = 'quote " apostrophe \' <tag> & ]]> \u0001 control, \uD800 lone surrogate, newline\nand tab\t, emoji 😀';
  const report: RunReport = {
    tool: { name: 'ams-conformance', version: '0.0.0' },
    seed: -5,
    runs: 3,
    startedAt: '2026-11-28T00:00:00.000Z',
    durationMs: 1234,
    target: { endpoint: 'http://h/api/?a=1&b=2', server: undefined, mode: 'compat', modeSource: 'probed', extras: { findings: false, rules: false, verification: false }, storageDecryption: false },
    suites: [
      {
        id: 'rsa-oaep',
        title: 'RSA-OAEP unwrapping',
        summary: nasty,
        status: 'failed',
        durationMs: 1000,
        cases: [
          { id: 'a', title: nasty, kind: 'property', status: 'failed', runs: 3, seed: -5, counterexample: `[${JSON.stringify(nasty)}]`, path: '1:0', shrinks: 2, error: nasty, durationMs: 10 },
          { id: 'b', title: 'fine', kind: 'property', status: 'passed', runs: 3, seed: -5, durationMs: 10 },
          { id: 'c', title: 'n/a', kind: 'check', status: 'not-applicable', reason: nasty, durationMs: 0 },
        ],
      },
    ],
    summary: { suites: 1, cases: 3, passed: 1, failed: 1, notApplicable: 1 },
    ok: false,
  };

  it('stays well-formed whatever the titles, errors and counterexamples hold, and counts right', () => {
    const xml = parseXml(junitXml(report));
    expect(xml.local).toBe('testsuites');
    expect([attr(xml, 'tests'), attr(xml, 'failures'), attr(xml, 'skipped')]).toEqual(['3', '1', '1']);
    const [failure] = elements(xml, 'failure');
    expect(failure!.text).toContain('seed: -5, path: 1:0, shrunk 2 times');
    expect(failure!.text).toContain('<tag> & ]]>');
    expect(attr(failure!, 'message')).toContain('newline\nand tab\t');
    expect(elements(xml, 'skipped').map((s) => attr(s, 'message'))).toEqual([expect.stringMatching(/^not applicable: quote " apostrophe/)]);
    expect(elements(xml, 'property').find((p) => attr(p, 'name') === 'endpoint') && attr(elements(xml, 'property').find((p) => attr(p, 'name') === 'endpoint')!, 'value')).toBe('http://h/api/?a=1&b=2');
  });
});
