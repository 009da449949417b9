import { randomUUID } from 'node:crypto';

/**
 * GUIDs for new entities. With a seed they are deterministic (a small PRNG formatted as version-4
 * GUIDs), so snapshot tests of emulator output can be stable, as moto's seeded ids allow.
 */
export interface IdGenerator {
  guid(): string;
}

export function createIdGenerator(seed?: number): IdGenerator {
  if (seed === undefined) return { guid: () => randomUUID() };
  let state = (seed >>> 0) || 0x9e3779b9;
  const next = (): number => {
    // xorshift32: tiny, deterministic, good enough for ids (not for secrets).
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  return {
    guid() {
      const bytes = Buffer.alloc(16);
      for (let i = 0; i < 16; i += 4) bytes.writeUInt32BE(next(), i);
      bytes[6] = (bytes[6]! & 0x0f) | 0x40;
      bytes[8] = (bytes[8]! & 0x3f) | 0x80;
      const h = bytes.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
  };
}
