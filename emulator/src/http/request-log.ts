/** One line of `/_emulator/requests`: enough to find a client's call and see how it went. */
export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  requestId: string;
  client: string;
  /** The request's Range header, when it had one (a player seeking, a resumed download). */
  range?: string;
  /** Set when Node's HTTP parser refused the request before the API saw it: what could not be parsed. */
  rejectedByParser?: string;
}

/**
 * A GET under `/_emulator` that carries this header (any value) is a tool watching the emulator
 * (the dashboard polls every few seconds): it is not added to the ring, whose 200 entries it would
 * otherwise fill with its own calls and push the client's out. Nor are the dashboard's own page,
 * stylesheet and scripts (a browser cannot add the header to those).
 */
export const WATCH_HEADER = 'X-AMS-Emulator-Watch';

export function isWatchPoll(method: string, path: string, watchHeader: string | undefined): boolean {
  if (method !== 'GET' || !path.startsWith('/_emulator/')) return false;
  return (watchHeader ?? '').trim() !== '' || path === '/_emulator/ui' || path.startsWith('/_emulator/ui/');
}

/** The last N calls, oldest first; a fixed-size ring so a long CI run cannot grow it. */
export class RequestLog {
  private readonly entries: (RequestLogEntry | undefined)[];
  private next = 0;
  private total = 0;
  private rejected = 0;

  constructor(readonly capacity: number) {
    this.entries = new Array<RequestLogEntry | undefined>(Math.max(1, capacity));
  }

  add(entry: RequestLogEntry): void {
    this.entries[this.next] = entry;
    this.next = (this.next + 1) % this.entries.length;
    this.total++;
    if (entry.rejectedByParser !== undefined) this.rejected++;
  }

  list(): RequestLogEntry[] {
    const out: RequestLogEntry[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[(this.next + i) % this.entries.length];
      if (e) out.push(e);
    }
    return out;
  }

  /** Calls seen since start (or the last clear), including those that fell out of the ring. */
  get count(): number {
    return this.total;
  }

  /** Of those, the requests Node's HTTP parser refused (a client whose bytes are not HTTP/1.1). */
  get rejectedByParser(): number {
    return this.rejected;
  }

  clear(): void {
    this.entries.fill(undefined);
    this.next = 0;
    this.total = 0;
    this.rejected = 0;
  }
}
