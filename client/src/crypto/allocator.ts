/**
 * Why AES-CTR throughput in Node swung between 1.2 and 3.6 GiB/s from one run to the next on the
 * same machine: Node's `Cipher.update` returns every output in a fresh allocation (glibc `malloc`,
 * freed when the garbage collector sweeps the buffer, in bursts). glibc hands the free top of its
 * heap back to the kernel once it exceeds its trim threshold, 128 KiB until the process first frees
 * an mmap-ed chunk; the next outputs then fault in fresh zeroed pages, again and again. Freeing one
 * mmap-ed chunk raises glibc's dynamic thresholds to that chunk's size (mmap threshold; trim
 * threshold twice that), up to 32 MiB on 64-bit: after that, cipher outputs of any size up to
 * 32 MiB are recycled heap memory that stays mapped (measured by `npm run bench:crypto`: the
 * library's paths went from 0.1-0.26x `openssl speed` to about 0.45x, and their spread from
 * 15-70% to a few percent).
 *
 * Elsewhere (musl, macOS, Windows) this does nothing useful and nothing harmful.
 */

/** glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: the largest chunk whose free raises the thresholds. */
const GLIBC_DYNAMIC_THRESHOLD_MAX = 32 * 1024 * 1024;
/** Under the maximum by more than malloc's chunk header and page rounding. */
const PRIMER_BYTES = GLIBC_DYNAMIC_THRESHOLD_MAX - 64 * 1024;

let primed = false;

/**
 * Once per process: one allocation just under the maximum, never touched and dropped at once. V8
 * allocates it with `calloc`, which maps it without writing a page (no RSS), and the collector frees
 * it at its next run, which is when glibc raises its thresholds. The cost is that up to 64 MiB of
 * freed heap may stay mapped instead of going back to the kernel.
 */
export function primeAllocatorForCipherOutputs(): void {
  if (primed) return;
  primed = true;
  void new ArrayBuffer(PRIMER_BYTES);
}
