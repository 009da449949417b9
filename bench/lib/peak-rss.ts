import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The peak resident set size of this process over one phase of a bench. On Linux the kernel keeps
 * the peak (VmHWM) and lets a process reset it (`5` into /proc/self/clear_refs), so the peak is
 * exact and phases do not inherit each other's. Elsewhere the RSS is sampled every 5 ms.
 */
export interface PeakRss {
  /** Peak RSS in bytes since `start`. */
  stop(): number;
}

export function measurePeakRss(): PeakRss {
  if (resetKernelPeak()) {
    return { stop: () => kernelPeak() ?? process.memoryUsage().rss };
  }
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  return {
    stop() {
      clearInterval(sampler);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

function resetKernelPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return kernelPeak() !== undefined;
  } catch {
    return false;
  }
}

function kernelPeak(): number | undefined {
  try {
    const kib = /^VmHWM:\s*(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}
