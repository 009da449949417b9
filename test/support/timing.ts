/**
 * Wall-clock bounds in tests, scaled by one multiplier: `AMS_TEST_TIME_SCALE` (default 1). A
 * loaded or slow machine sets it (e.g. 3) instead of every test growing its own margins; a bound
 * that still fails at a generous scale is a real hang, not noise.
 */
export function withinMs(ms: number): number {
  const raw = process.env['AMS_TEST_TIME_SCALE'];
  const scale = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!Number.isFinite(scale) || scale < 1) throw new Error(`AMS_TEST_TIME_SCALE must be a number >= 1, not ${JSON.stringify(raw)}`);
  return ms * scale;
}
