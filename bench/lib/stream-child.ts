import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { AmsCtrTransform } from '../../client/src/crypto/ctr.js';
import { STREAM_HIGH_WATER_MARK, type StreamChildReport } from './streaming.js';

/**
 * The library's file-to-file encrypt, alone in its own process so its peak RSS is the streaming
 * step's and nothing else's (the parent holds the 256 MiB in-memory data set).
 * Usage: node stream-child.js IN OUT KEYHEX IVDECIMAL; prints a StreamChildReport as JSON.
 */
const [input, output, keyHex, ivText] = process.argv.slice(2);
if (!input || !output || !keyHex || !ivText) throw new Error('usage: stream-child IN OUT KEYHEX IVDECIMAL');

const rssAtStart = process.memoryUsage().rss;
let rssPeakSampled = rssAtStart;
const sampler = setInterval(() => {
  rssPeakSampled = Math.max(rssPeakSampled, process.memoryUsage().rss);
}, 5);

const start = performance.now();
await pipeline(
  createReadStream(input, { highWaterMark: STREAM_HIGH_WATER_MARK }),
  new AmsCtrTransform(Buffer.from(keyHex, 'hex'), BigInt(ivText)),
  createWriteStream(output, { highWaterMark: STREAM_HIGH_WATER_MARK }),
);
const seconds = (performance.now() - start) / 1000;
clearInterval(sampler);
rssPeakSampled = Math.max(rssPeakSampled, process.memoryUsage().rss);

const report: StreamChildReport = { seconds, rssAtStart, rssPeakSampled, peakRss: kernelPeakRss() ?? rssPeakSampled };

process.stdout.write(`${JSON.stringify(report)}\n`);

/**
 * The kernel's high-water mark of this process image (Linux VmHWM). Not resourceUsage().maxRSS:
 * Linux carries ru_maxrss across fork+exec, so a child of the bench would report the parent's
 * 256 MiB data set as its own peak.
 */
function kernelPeakRss(): number | undefined {
  try {
    const kib = /^VmHWM:\s*(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}
