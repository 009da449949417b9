import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { multipartBoundary, parseHttpRequest, parseMultipart, writeMultipart, type MimePart } from '../../src/http/batch-multipart.js';
import { parseBatchRequest } from '../../src/http/batch-request.js';
import { ODataError } from '../../src/odata/errors.js';

/** The `$batch` body parsers on their own: multipart framing, application/http requests, batch structure. */

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ODataError);
    expect((err as ODataError).status).toBe(400);
    return (err as ODataError).message;
  }
  throw new Error('expected a 400');
}

describe('multipartBoundary', () => {
  it.each([
    ['multipart/mixed; boundary=batch_1', 'batch_1'],
    ['Multipart/Mixed;Boundary="batch 2"', 'batch 2'],
    ['multipart/mixed; charset=utf-8; boundary=changeset_77162fcd-b8da-41ac-a9f8-9357efbbd621', 'changeset_77162fcd-b8da-41ac-a9f8-9357efbbd621'],
  ])('%s -> %s', (contentType, boundary) => {
    expect(multipartBoundary(contentType)).toBe(boundary);
  });

  it.each([undefined, 'application/json', 'multipart/mixed', 'multipart/related; boundary=x', `multipart/mixed; boundary=${'x'.repeat(71)}`])('%s has none', (contentType) => {
    expect(multipartBoundary(contentType)).toBeUndefined();
  });
});

describe('parseMultipart', () => {
  it('skips preamble, transport padding and epilogue; a boundary-like string inside a line is content', () => {
    const body = Buffer.from('preamble text\r\n--b  \r\nA: 1\r\n\r\nx --b y\r\n--b\r\n\r\nsecond\r\n--b--\r\nepilogue');
    const parts = parseMultipart(body, 'b', 10, 'test');
    expect(parts.map((p) => p.body.toString())).toEqual(['x --b y', 'second']);
    expect(parts[0]!.headers).toEqual([['A', '1']]);
    expect(parts[1]!.headers).toEqual([]);
  });

  it('unfolds continued header lines', () => {
    const [part] = parseMultipart(Buffer.from('--b\r\nX-Long: one\r\n  two\r\n\r\nbody\r\n--b--'), 'b', 10, 'test');
    expect(part!.headers).toEqual([['X-Long', 'one two']]);
  });

  it('refuses more parts than allowed', () => {
    const body = writeMultipart('b', Array.from({ length: 4 }, () => ({ headers: [], body: Buffer.from('x') })));
    expect(refusal(() => parseMultipart(body, 'b', 3, 'The body'))).toBe("The body has more than 3 parts, the emulator's limit");
  });

  it('round-trips any bytes that do not contain the delimiter', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/), value: fc.stringMatching(/^[ -~]{0,20}$/), body: fc.uint8Array({ maxLength: 200 }) }), { maxLength: 6 }),
        (items) => {
          const parts: MimePart[] = items.map((i) => ({ headers: [[i.name, i.value.trim()]], body: Buffer.from(i.body) }));
          fc.pre(parts.every((p) => !p.body.includes(Buffer.from('--bnd'))));
          const parsed = parseMultipart(writeMultipart('bnd', parts), 'bnd', 100, 'p');
          expect(parsed.map((p) => [p.headers, p.body.toString('hex')])).toEqual(parts.map((p) => [p.headers, p.body.toString('hex')]));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('parseHttpRequest', () => {
  it('reads the request line, headers and a body bounded by Content-Length', () => {
    const request = parseHttpRequest(Buffer.from('post http://h/api/Jobs HTTP/1.1\r\nContent-ID: 1\r\nContent-Length: 2\r\n\r\n{}trailing'), 'op');
    expect(request).toMatchObject({ method: 'POST', url: 'http://h/api/Jobs', headers: [['Content-ID', '1'], ['Content-Length', '2']] });
    expect(request.body.toString()).toBe('{}');
  });

  it('takes the rest of the part as the body without Content-Length, and accepts no HTTP version', () => {
    const request = parseHttpRequest(Buffer.from('GET Assets\n\n'), 'op');
    expect(request).toMatchObject({ method: 'GET', url: 'Assets' });
    expect(request.body.length).toBe(0);
  });

  it.each([
    ['', /does not start with a request line/],
    ['GET\r\n\r\n', /does not start with a request line/],
    ['GET Assets HTTP/1.1\r\nContent-Length: -1\r\n\r\n', /invalid Content-Length/],
  ])('refuses %j', (text, message) => {
    expect(refusal(() => parseHttpRequest(Buffer.from(text), 'op'))).toMatch(message);
  });
});

describe('parseBatchRequest', () => {
  const op = (line: string, headers = '', mime = '') => `Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n${mime}\r\n${line}\r\n${headers}\r\n`;

  it('reads changesets and queries, with the Content-ID from the part or from the inner request', () => {
    const body = Buffer.from(
      `--batch\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n--cs\r\n${op('POST Jobs HTTP/1.1', 'Content-ID: 1\r\n')}\r\n--cs\r\n${op('POST $1/Tasks HTTP/1.1', '', 'Content-ID: 2\r\n')}\r\n--cs--\r\n` +
        `--batch\r\n${op('GET Assets HTTP/1.1')}\r\n--batch--`,
    );
    const items = parseBatchRequest(body, 'multipart/mixed; boundary=batch');
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ kind: 'changeset', operations: [{ method: 'POST', url: 'Jobs', contentId: '1', index: 1 }, { url: '$1/Tasks', contentId: '2', index: 2 }] });
    expect(items[1]).toMatchObject({ kind: 'operation', operation: { method: 'GET', url: 'Assets', contentId: undefined, index: 3 } });
  });

  it('accepts POST with X-HTTP-Method: MERGE in a changeset, refuses a tunnelled query', () => {
    const merge = Buffer.from(`--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n${op("POST Assets('x') HTTP/1.1", 'X-HTTP-Method: MERGE\r\n')}\r\n--c--\r\n--b--`);
    expect(parseBatchRequest(merge, 'multipart/mixed; boundary=b')).toHaveLength(1);
    const get = Buffer.from(`--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n${op('GET Assets HTTP/1.1')}\r\n--c--\r\n--b--`);
    expect(refusal(() => parseBatchRequest(get, 'multipart/mixed; boundary=b'))).toMatch(/Operation 1 \(GET Assets\) is inside a changeset/);
  });

  it('bounds the operations of the whole batch and refuses a foreign transfer encoding', () => {
    const changeset = `--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n${`--c\r\n${op('POST Assets HTTP/1.1')}\r\n`.repeat(3)}--c--\r\n`;
    const limits = { maxParts: 10, maxOperations: 5 };
    expect(refusal(() => parseBatchRequest(Buffer.from(`${changeset}${changeset}--b--`), 'multipart/mixed; boundary=b', limits))).toMatch(/holds more than 5 operations/);
    const big = `--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n${`--c\r\n${op('POST Assets HTTP/1.1')}\r\n`.repeat(6)}--c--\r\n--b--`;
    expect(refusal(() => parseBatchRequest(Buffer.from(big), 'multipart/mixed; boundary=b', limits))).toMatch(/The changeset c has more than 5 parts/);
    const base64 = Buffer.from(`--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: base64\r\n\r\nR0VUIEFzc2V0cw==\r\n--b--`);
    expect(refusal(() => parseBatchRequest(base64, 'multipart/mixed; boundary=b'))).toMatch(/Content-Transfer-Encoding "base64"; use binary/);
  });
});
