import { createCipheriv, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { primeAllocatorForCipherOutputs } from '../../client/src/crypto/allocator.js';

/**
 * Node's own `createCipheriv('aes-256-ctr').update` over one buffer of BYTES, TOTAL bytes in all,
 * in a fresh process: `primed` after the library's allocator primer, `unprimed` as any program
 * that never loaded the library. The bench's own process is primed as soon as it makes an AmsCtr,
 * so the difference the primer makes can only be shown from a process of its own.
 * Usage: node ctr-child.js primed|unprimed BYTES TOTAL; prints MiB/s of the timed pass.
 */
const [mode, bytesText, totalText] = process.argv.slice(2);
if ((mode !== 'primed' && mode !== 'unprimed') || !bytesText || !totalText) throw new Error('usage: ctr-child primed|unprimed BYTES TOTAL');
const bytes = Number(bytesText);
const total = Number(totalText);
if (mode === 'primed') primeAllocatorForCipherOutputs();
const buffer = randomBytes(bytes);
const pass = (): number => {
  const cipher = createCipheriv('aes-256-ctr', randomBytes(32), randomBytes(16));
  let produced = 0;
  for (let done = 0; done < total; done += bytes) produced += cipher.update(buffer).length;
  return produced;
};
pass(); // warm-up, as the in-process contenders get from the rounds before theirs
const start = performance.now();
const produced = pass();
const seconds = (performance.now() - start) / 1000;
if (produced !== Math.ceil(total / bytes) * bytes) throw new Error(`the cipher produced ${produced} bytes`);
process.stdout.write(`${(produced / (1024 * 1024) / seconds).toFixed(1)}\n`);
