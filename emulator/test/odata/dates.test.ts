import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DATE_TIME_MS, MIN_DATE_TIME_MS, parseDateTime, toPrimitive } from '../../src/odata/values.js';
import { outOfRangeDate } from '../helpers/fuzz-values.js';

/**
 * Dates in the spellings clients send: ISO 8601, `/Date(ms)/`, and .NET's culture-dependent
 * `DateTime.ToString()` (the .NET REST sample's Locator StartTime), read as UTC wall-clock times.
 */

const pad = (n: number) => String(n).padStart(2, '0');

/** `DateTime.ToString()` of `d` in the culture's general date-time pattern. */
const CULTURES: Record<string, (d: Date) => string> = {
  'en-US': (d) => `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${d.getUTCHours() % 12 || 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`,
  invariant: (d) => `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  'de-DE': (d) => `${pad(d.getUTCDate())}.${pad(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  'fi-FI': (d) => `${d.getUTCDate()}.${d.getUTCMonth() + 1}.${d.getUTCFullYear()} ${d.getUTCHours()}.${pad(d.getUTCMinutes())}.${pad(d.getUTCSeconds())}`,
  'nl-NL': (d) => `${d.getUTCDate()}-${d.getUTCMonth() + 1}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  'ja-JP': (d) => `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${d.getUTCHours()}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  'hu-HU': (d) => `${d.getUTCFullYear()}. ${pad(d.getUTCMonth() + 1)}. ${pad(d.getUTCDate())}. ${d.getUTCHours()}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  'sv-SE': (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
};
/** en-GB and fr-FR: day first with slashes, readable only when the day cannot be a month. */
const dayFirstSlashes = (d: Date) => `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

const seconds = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000));

describe('parseDateTime', () => {
  it.each(Object.keys(CULTURES))('reads DateTime.ToString() in %s back to the same instant (property)', (culture) => {
    fc.assert(
      fc.property(seconds, (d) => {
        expect(parseDateTime(CULTURES[culture]!(d))?.toISOString()).toBe(d.toISOString());
      }),
    );
  });

  it('reads en-GB / fr-FR day-first slashes when the day is above 12, and month first otherwise (as the invariant culture writes)', () => {
    fc.assert(
      fc.property(seconds, (d) => {
        const parsed = parseDateTime(dayFirstSlashes(d));
        if (d.getUTCDate() > 12) expect(parsed?.toISOString()).toBe(d.toISOString());
        else expect(parsed?.toISOString()).toBe(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCDate() - 1, d.getUTCMonth() + 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds())).toISOString());
      }),
    );
  });

  it.each([
    ['31.11.2026 20:03:48', 'a day November does not have'],
    ['28.13.2026 20:03:48', 'month 13'],
    ['28.11.2026 24:00:00', 'hour 24'],
    ['28.11.2026 20:60:00', 'minute 60'],
    ['13/13/2026 10:00:00', 'neither number a month'],
    ['28/11/2026 08:03:48 PM', 'a 12-hour clock (en-US) with the day first'],
    ['28.11-2026 20:03:48', 'mixed separators'],
    ['2026/11.28 20:03:48', 'mixed separators, year first'],
    ['tomorrow', 'words'],
  ])('refuses %s (%s)', (text) => {
    expect(parseDateTime(text)).toBeUndefined();
  });
});

describe('the Edm.DateTime range', () => {
  it('reads years 1 to 99 as themselves, not as 1901 to 1999', () => {
    expect(parseDateTime('0050-03-04T05:06:07Z')?.toISOString()).toBe('0050-03-04T05:06:07.000Z');
    expect(parseDateTime('0001-01-01T00:00:00Z')?.getTime()).toBe(MIN_DATE_TIME_MS);
    expect(parseDateTime('04.03.0050 05:06:07')?.toISOString()).toBe('0050-03-04T05:06:07.000Z');
  });

  it('refuses ISO dates that do not exist instead of rolling them over', () => {
    for (const text of ['2026-02-29T00:00:00Z', '2026-02-31T00:00:00Z', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-01T24:00:00Z', '2026-01-01T23:60:00Z', '2026-01-01T23:59:60Z']) {
      expect(parseDateTime(text), text).toBeUndefined();
    }
    expect(parseDateTime('2024-02-29T12:00:00+02:00')?.toISOString()).toBe('2024-02-29T10:00:00.000Z');
    expect(parseDateTime('2026-12-31T23:59:59-01:00')?.toISOString()).toBe('2027-01-01T00:59:59.000Z');
  });

  it('keeps both ends and refuses (400) every date outside them, in every spelling (property)', () => {
    expect(toPrimitive('StartTime', 'Edm.DateTime', '9999-12-31T23:59:59.999Z')).toBe(new Date(MAX_DATE_TIME_MS).toISOString());
    expect(toPrimitive('StartTime', 'Edm.DateTime', `/Date(${MIN_DATE_TIME_MS})/`)).toBe('0001-01-01T00:00:00.000Z');
    fc.assert(
      fc.property(outOfRangeDate, (value) => {
        expect(() => toPrimitive('StartTime', 'Edm.DateTime', value)).toThrow(expect.objectContaining({ status: 400 }));
      }),
    );
  });
});
