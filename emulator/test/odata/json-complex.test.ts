import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IngestManifest, IngestManifestStatistics } from '../../src/odata/edm-ingest.js';
import { jsonProperty, type JsonFormat } from '../../src/odata/json.js';

/** A single complex value (PropertyDef.complex, IngestManifest.Statistics) in each JSON format. */
const ctx = { serviceRoot: 'http://127.0.0.1/api/' };
const statistics = IngestManifest.properties.find((p) => p.name === 'Statistics')!;
const formats: JsonFormat[] = ['json-minimal', 'json-verbose', 'json-nometadata'];

function valueOf(text: string, format: JsonFormat): unknown {
  const body = JSON.parse(text) as { d?: Record<string, unknown>; value?: unknown };
  return format === 'json-verbose' ? body.d!['Statistics'] : body.value;
}

describe('a single complex value in JSON', () => {
  it('writes every field of its complex type, typed in verbose JSON', () => {
    fc.assert(
      fc.property(fc.constantFrom(...formats), fc.nat(1000), fc.nat(1000), (format, pending, finished) => {
        const stored = { PendingFilesCount: pending, FinishedFilesCount: finished };
        const written = valueOf(jsonProperty(ctx, IngestManifest, statistics, stored, format), format) as Record<string, unknown>;
        for (const field of IngestManifestStatistics.properties) expect(field.name in written, field.name).toBe(true);
        expect(written['PendingFilesCount']).toBe(pending);
        expect(written['FinishedFilesCount']).toBe(finished);
        if (format === 'json-verbose') expect(written['__metadata']).toEqual({ type: expect.stringContaining('IngestManifestStatistics') });
      }),
    );
  });

  it('writes null as null (as Atom writes m:null), not as an object of null fields', () => {
    for (const format of formats) expect(valueOf(jsonProperty(ctx, IngestManifest, statistics, null, format), format), format).toBeNull();
  });
});
