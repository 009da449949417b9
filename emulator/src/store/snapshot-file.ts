import { readFile, open, rename } from 'node:fs/promises';
import path from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { syncDirectory, writeAll } from './files.js';
import { parseSnapshot, snapshotDocument, SCHEMA_VERSION, type SnapshotDocument } from './snapshot-format.js';
import type { State } from './state.js';

/** What lowdb holds between writes: nothing worth keeping, the state lives in `State`. */
const PLACEHOLDER: SnapshotDocument = Object.freeze({ schemaVersion: SCHEMA_VERSION, generation: -1, collections: {} });

interface Codec {
  parse(text: string): SnapshotDocument;
  stringify(document: SnapshotDocument): string;
}

export interface ReadSnapshot {
  readonly document: SnapshotDocument;
  readonly bytes: number;
}

/**
 * `state.json`, written through the process's single lowdb instance for it. Writes are compact
 * JSON (lowdb's JSONFile pretty-prints, which is several times larger and slower) and atomic: a
 * temp file renamed over the old one, so a reader never sees a half-written file.
 *
 * The caller must not overlap writes (the store's mutex): steno would coalesce them.
 */
export class SnapshotFile {
  readonly path: string;
  readonly #low: Low<SnapshotDocument>;
  #lastTextBytes = 0;

  constructor(filePath: string, options: { fsync: boolean }) {
    this.path = filePath;
    const codec: Codec = {
      parse: (text: string): SnapshotDocument => {
        this.#lastTextBytes = Buffer.byteLength(text);
        return parseSnapshot(text);
      },
      stringify: (document: SnapshotDocument): string => {
        const text = JSON.stringify(document);
        this.#lastTextBytes = Buffer.byteLength(text);
        return text;
      },
    };
    const adapter: Adapter<SnapshotDocument> = options.fsync ? new SyncedDataFile(filePath, codec) : new DataFile(filePath, codec);
    this.#low = new Low(adapter, PLACEHOLDER);
  }

  /** undefined when there is no file; throws SnapshotFormatError for a bad one, or the I/O error. */
  async read(): Promise<ReadSnapshot | undefined> {
    this.#low.data = PLACEHOLDER;
    await this.#low.read();
    const document = this.#low.data;
    this.#low.data = PLACEHOLDER;
    return document === PLACEHOLDER ? undefined : { document, bytes: this.#lastTextBytes };
  }

  /**
   * Serialise the state now, synchronously (the caller relies on it: the snapshot must hold exactly
   * the transactions applied before this call), then write it. Resolves with its size in bytes.
   */
  write(state: State, generation: number): Promise<number> {
    this.#low.data = snapshotDocument(state, generation);
    // Low.write calls the adapter, and the adapter stringifies, before its first await.
    const landed = this.#low.write();
    const bytes = this.#lastTextBytes;
    this.#low.data = PLACEHOLDER;
    return landed.then(() => bytes);
  }
}

/**
 * The fsync flavour of lowdb's DataFile: temp file, fsync, rename, fsync the directory, so that
 * the new snapshot is on disk before the store deletes the journal it replaces. steno does the
 * same minus both fsyncs.
 */
class SyncedDataFile implements Adapter<SnapshotDocument> {
  readonly #path: string;
  readonly #tempPath: string;
  readonly #codec: Codec;

  constructor(filePath: string, codec: Codec) {
    this.#path = filePath;
    this.#tempPath = path.join(path.dirname(filePath), `.${path.basename(filePath)}.tmp`);
    this.#codec = codec;
  }

  async read(): Promise<SnapshotDocument | null> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf-8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return this.#codec.parse(text);
  }

  async write(document: SnapshotDocument): Promise<void> {
    const text = Buffer.from(this.#codec.stringify(document));
    const handle = await open(this.#tempPath, 'w');
    try {
      await writeAll(handle, text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(this.#tempPath, this.#path);
    await syncDirectory(path.dirname(this.#path));
  }
}
