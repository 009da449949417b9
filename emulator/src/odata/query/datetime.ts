/**
 * DateTime as .NET ticks (100 ns since the Unix epoch here, as a bigint): .NET and OData literals carry
 * seven fractional digits, more than a JS Date holds, and comparing `datetime'...0000001'` against a
 * stored value must not round.
 */

const TICKS_PER_SECOND = 10_000_000n;
const TICKS_PER_MS = 10_000n;
const SECONDS_PER_DAY = 86_400n;

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})?$/;

/** Parse `YYYY-MM-DDTHH:mm[:ss[.fffffff]][Z|±hh:mm]` (no zone means UTC); undefined when not a real instant. */
export function parseDateTimeTicks(text: string): bigint | undefined {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const fraction = BigInt((m[7] ?? '').padEnd(7, '0'));
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 14 || om > 59) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const days = BigInt(daysFromCivil(year, month, day));
  const seconds = days * SECONDS_PER_DAY + BigInt(hour * 3600 + minute * 60 + second - offsetMinutes * 60);
  const ticks = seconds * TICKS_PER_SECOND + fraction;
  // An offset can push 0001-01-01 or 9999-12-31 out of the representable range.
  const { year: utcYear } = civilFromTicks(ticks);
  return utcYear >= 1 && utcYear <= 9999 ? ticks : undefined;
}

/** A stored DateTime (canonical ISO, or anything `Date.parse` takes) as ticks; undefined when unreadable. */
export function storedDateTimeTicks(value: string): bigint | undefined {
  const exact = parseDateTimeTicks(value);
  if (exact !== undefined) return exact;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : BigInt(ms) * TICKS_PER_MS;
}

/** Canonical UTC text `YYYY-MM-DDTHH:mm:ss[.fffffff]Z`, fraction without trailing zeros. */
export function formatTicks(ticks: bigint): string {
  const c = civilFromTicks(ticks);
  const date = `${pad(c.year, 4)}-${pad(c.month, 2)}-${pad(c.day, 2)}`;
  const time = `${pad(c.hour, 2)}:${pad(c.minute, 2)}:${pad(c.second, 2)}`;
  const fraction = c.fraction === 0 ? '' : `.${pad(c.fraction, 7).replace(/0+$/, '')}`;
  return `${date}T${time}${fraction}Z`;
}

export interface CivilTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 100 ns units within the second. */
  fraction: number;
}

export function civilFromTicks(ticks: bigint): CivilTime {
  let seconds = ticks / TICKS_PER_SECOND;
  let fraction = ticks % TICKS_PER_SECOND;
  if (fraction < 0n) {
    fraction += TICKS_PER_SECOND;
    seconds -= 1n;
  }
  let days = seconds / SECONDS_PER_DAY;
  let secondOfDay = seconds % SECONDS_PER_DAY;
  if (secondOfDay < 0n) {
    secondOfDay += SECONDS_PER_DAY;
    days -= 1n;
  }
  const { year, month, day } = civilFromDays(Number(days));
  const s = Number(secondOfDay);
  return { year, month, day, hour: Math.floor(s / 3600), minute: Math.floor((s % 3600) / 60), second: s % 60, fraction: Number(fraction) };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

// Proleptic Gregorian day arithmetic (H. Hinnant, "chrono-compatible low-level date algorithms"):
// Date.UTC maps years 0-99 to 1900-1999, so it cannot be used for year 0001.
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}
