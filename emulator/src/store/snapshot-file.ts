import { readFile, open, rename } from 'node:fs/promises';
import path from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { syncDirectory, writeAll } from './files.js';
import { parseSnapshot, snapshotDocument, type SnapshotDocument } from './snapshot-format.js';
import type { State } from './state.js';

/** What lowdb holds between writes: nothing worth keeping, the state lives in `State`. */
const PLACEHOLDER: SnapshotDocument = Object.freeze({ schemaVersion: 0, generation: -1, collections: {} });

/** Text gathered before one `write` call: large enough to be cheap, small next to the state. */
const WRITE_CHUNK_CHARS = 1024 * 1024;

export interface ReadSnapshot {
  readonly document: SnapshotDocument;
  readonly bytes: number;
}

/**
 * `state.json`, written through the process's single lowdb instance for it. Writes are compact
 * JSON, streamed record by record (no string ever holds the whole state, which V8 caps at about
 * 2^29 characters), and atomic: a temp file renamed over the old one, so a reader never sees a
 * half-written file. Reading parses the file as one string: the store's `maxStateChars` keeps it
 * to a quarter of that cap.
 *
 * The caller must not overlap writes (the store's mutex).
 */
export class SnapshotFile {
  readonly path: string;
  readonly #low: Low<SnapshotDocument>;
  readonly #adapter: StreamedJsonFile;
  /** The schema version written, and the newest read. */
  readonly schemaVersion: number;

  constructor(filePath: string, options: { fsync: boolean; schemaVersion: number }) {
    this.path = filePath;
    this.schemaVersion = options.schemaVersion;
    this.#adapter = new StreamedJsonFile(filePath, options.fsync, options.schemaVersion);
    this.#low = new Low(this.#adapter, PLACEHOLDER);
  }

  /** undefined when there is no file; throws SnapshotFormatError for a bad one, or the I/O error. */
  async read(): Promise<ReadSnapshot | undefined> {
    this.#low.data = PLACEHOLDER;
    await this.#low.read();
    const document = this.#low.data;
    this.#low.data = PLACEHOLDER;
    return document === PLACEHOLDER ? undefined : { document, bytes: this.#adapter.lastBytes };
  }

  /**
   * Take the state's records now, synchronously (the caller relies on it: the snapshot must hold
   * exactly the transactions applied before this call; records are frozen, so they can be
   * serialised later), then write them. Resolves with the file's size in bytes.
   */
  async write(state: State, generation: number): Promise<number> {
    this.#low.data = snapshotDocument(state, generation, this.schemaVersion);
    // Low.write hands the document to the adapter before its first await.
    const landed = this.#low.write();
    this.#low.data = PLACEHOLDER;
    await landed;
    return this.#adapter.lastBytes;
  }
}

/**
 * The document as JSON text in pieces, exactly as `JSON.stringify(document)` would write it: one
 * record at a time, each piece far smaller than the whole.
 */
export function* snapshotText(document: SnapshotDocument): IterableIterator<string> {
  yield `{"schemaVersion":${JSON.stringify(document.schemaVersion)},"generation":${JSON.stringify(document.generation)},"collections":{`;
  let firstCollection = true;
  for (const name of Object.keys(document.collections)) {
    yield `${firstCollection ? '' : ','}${JSON.stringify(name)}:{`;
    firstCollection = false;
    const records = document.collections[name]!;
    let firstRecord = true;
    for (const id of Object.keys(records)) {
      yield `${firstRecord ? '' : ','}${JSON.stringify(id)}:${JSON.stringify(records[id])}`;
      firstRecord = false;
    }
    yield '}';
  }
  yield '}';
  if (document.order !== undefined) {
    yield ',"order":{';
    let first = true;
    for (const name of Object.keys(document.order)) {
      yield `${first ? '' : ','}${JSON.stringify(name)}:[`;
      first = false;
      let firstId = true;
      for (const id of document.order[name]!) {
        yield `${firstId ? '' : ','}${JSON.stringify(id)}`;
        firstId = false;
      }
      yield ']';
    }
    yield '}';
  }
  yield '}';
}

/**
 * lowdb adapter: temp file written in chunks, optionally fsync'ed, renamed over the file, and the
 * directory fsync'ed, so that with `fsync` the new snapshot is on disk before the store deletes the
 * journal it replaces.
 */
class StreamedJsonFile implements Adapter<SnapshotDocument> {
  readonly #path: string;
  readonly #tempPath: string;
  readonly #fsync: boolean;
  readonly #schemaVersion: number;
  /** Size of the file last read or written. */
  lastBytes = 0;

  constructor(filePath: string, fsync: boolean, schemaVersion: number) {
    this.#path = filePath;
    this.#tempPath = path.join(path.dirname(filePath), `.${path.basename(filePath)}.tmp`);
    this.#fsync = fsync;
    this.#schemaVersion = schemaVersion;
  }

  async read(): Promise<SnapshotDocument | null> {
    // The bytes in one read and one decode: reading with an encoding decodes chunk by chunk and
    // joins the pieces, and measuring the text afterwards walks all of it again (a start-up with
    // 10,000 assets reads 20 MB here).
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    this.lastBytes = bytes.length;
    return parseSnapshot(bytes.toString('utf8'), this.#schemaVersion);
  }

  async write(document: SnapshotDocument): Promise<void> {
    const handle = await open(this.#tempPath, 'w');
    let bytes = 0;
    try {
      let pending: string[] = [];
      let pendingChars = 0;
      const flush = async () => {
        const buffer = Buffer.from(pending.join(''));
        pending = [];
        pendingChars = 0;
        await writeAll(handle, buffer);
        bytes += buffer.length;
      };
      for (const piece of snapshotText(document)) {
        pending.push(piece);
        pendingChars += piece.length;
        if (pendingChars >= WRITE_CHUNK_CHARS) await flush();
      }
      await flush();
      if (this.#fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(this.#tempPath, this.#path);
    if (this.#fsync) await syncDirectory(path.dirname(this.#path));
    this.lastBytes = bytes;
  }
}
