import type { Writable } from 'node:stream';
import type { Leftover, UploadProgress } from '../workflows/index.js';

/**
 * Transfer progress on stderr, so stdout stays the command's result: a bar redrawn in place on a
 * terminal, a plain line every few seconds and one per finished file in a log or CI, nothing for
 * `--json` (a script reading stdout does not want stderr noise either).
 */
export interface Progress {
  /** `doneBytes` of all files are through; `fileName` is the one moving now. */
  update(doneBytes: number, fileName: string): void;
  /** A file is complete. */
  fileDone(fileName: string, size: number): void;
  /** The transfer is over (done or failed): finish the bar's line so what follows starts on its own. */
  end(): void;
}

export interface ProgressOptions {
  /** `upload` or `download`: the first word of every line. */
  verb: string;
  totalBytes: number;
  /** Print nothing (`--json`). */
  quiet: boolean;
  /** Milliseconds; injectable so tests can move time. */
  now?: () => number;
}

/** Redraws of the bar at most this often: more is flicker and wasted writes. */
const BAR_INTERVAL_MS = 100;
/** Plain lines at most this often, so a log of a long transfer stays readable. */
const LINE_INTERVAL_MS = 2000;

export function createProgress(stderr: Writable, options: ProgressOptions): Progress {
  if (options.quiet) return { update: () => undefined, fileDone: () => undefined, end: () => undefined };
  const terminal = stderr as Writable & { isTTY?: boolean; columns?: number };
  const meter = new Meter(options.totalBytes, options.now ?? Date.now);
  return terminal.isTTY === true ? new BarProgress(terminal, options.verb, meter) : new LineProgress(stderr, options.verb, meter);
}

/** Bytes, rate and time left, measured from when the transfer started. */
class Meter {
  readonly startedAt: number;
  doneBytes = 0;

  constructor(
    readonly totalBytes: number,
    readonly now: () => number,
  ) {
    this.startedAt = now();
  }

  /** "12.0 MiB / 40.0 MiB  35.2 MiB/s  ETA 0:01" */
  summary(): string {
    const elapsed = (this.now() - this.startedAt) / 1000;
    const rate = elapsed > 0 ? this.doneBytes / elapsed : 0;
    const left = this.totalBytes - this.doneBytes;
    const eta = rate > 0 ? formatDuration(left / rate) : '-:--';
    return `${formatBytes(this.doneBytes)} / ${formatBytes(this.totalBytes)}  ${formatBytes(rate)}/s  ETA ${eta}`;
  }

  fraction(): number {
    return this.totalBytes === 0 ? 1 : Math.min(1, this.doneBytes / this.totalBytes);
  }
}

class BarProgress implements Progress {
  private lastDrawAt = -Infinity;
  private drawn = false;
  private fileName = '';

  constructor(
    private readonly stream: Writable & { columns?: number },
    private readonly verb: string,
    private readonly meter: Meter,
  ) {}

  update(doneBytes: number, fileName: string): void {
    this.meter.doneBytes = doneBytes;
    this.fileName = fileName;
    if (this.meter.now() - this.lastDrawAt >= BAR_INTERVAL_MS) this.draw();
  }

  fileDone(): void {
    this.draw();
  }

  end(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  private draw(): void {
    this.lastDrawAt = this.meter.now();
    const percent = `${Math.floor(this.meter.fraction() * 100)}%`.padStart(4);
    const width = 24;
    const filled = Math.round(this.meter.fraction() * width);
    const bar = `[${'='.repeat(filled)}${' '.repeat(width - filled)}]`;
    const line = `${this.verb} ${bar} ${percent}  ${this.meter.summary()}  ${this.fileName}`;
    // One column short of the width: writing the last column makes some terminals wrap.
    const columns = Math.max(20, (this.stream.columns ?? 80) - 1);
    // \r back to the start, \x1b[K clears what a longer previous line left behind.
    this.stream.write(`\r${line.slice(0, columns)}\x1b[K`);
    this.drawn = true;
  }
}

class LineProgress implements Progress {
  private lastLineAt: number;

  constructor(
    private readonly stream: Writable,
    private readonly verb: string,
    private readonly meter: Meter,
  ) {
    this.lastLineAt = meter.startedAt;
  }

  update(doneBytes: number, fileName: string): void {
    this.meter.doneBytes = doneBytes;
    if (this.meter.now() - this.lastLineAt < LINE_INTERVAL_MS) return;
    this.lastLineAt = this.meter.now();
    this.stream.write(`${this.verb}: ${Math.floor(this.meter.fraction() * 100)}%  ${this.meter.summary()}  ${fileName}\n`);
  }

  fileDone(fileName: string, size: number): void {
    this.stream.write(`${this.verb}: ${fileName}: all ${formatBytes(size)} transferred\n`);
  }

  end(): void {}
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function formatDuration(seconds: number): string {
  const total = Math.ceil(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/**
 * What a transfer into a new asset (upload, ingest) reports to the command: its progress, the
 * temporary entities it could not delete, and the asset once it exists (`asset()` then names it).
 */
export function transferReporting(progress: Progress): {
  leftovers: Leftover[];
  asset(): string | undefined;
  callbacks: { onProgress(p: UploadProgress): void; onCleanupError(error: unknown, leftover: Leftover): void; onAssetCreated(assetId: string): void };
} {
  const leftovers: Leftover[] = [];
  let created: string | undefined;
  return {
    leftovers,
    asset: () => created,
    callbacks: {
      onProgress(p) {
        progress.update(p.totalBytes, p.fileName);
        if (p.fileBytes === p.fileSize) progress.fileDone(p.fileName, p.fileSize);
      },
      onCleanupError: (_error, leftover) => leftovers.push(leftover),
      onAssetCreated(assetId) {
        created = assetId;
      },
    },
  };
}
