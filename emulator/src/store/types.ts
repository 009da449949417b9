/**
 * The emulator's state: named collections of JSON records keyed by id. Every mutation goes through
 * a transaction; a transaction's promise resolves only once its changes are durable on disk (file
 * mode), so an HTTP response sent after it can never be lost to a `kill -9`.
 */

/** A JSON value as stored: what `JSON.parse(JSON.stringify(x))` gives back unchanged. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonRecord = { [key: string]: Json };

/** Read access, shared by the store (outside transactions) and by a transaction. */
export interface StoreReader {
  get<T extends JsonRecord>(collection: string, id: string): T | undefined;
  has(collection: string, id: string): boolean;
  /** Records in insertion order (a put of an existing id keeps its place). */
  values<T extends JsonRecord>(collection: string): IterableIterator<T>;
  count(collection: string): number;
  /**
   * The records of `index.collection` whose index key is `key`, in collection order: what
   * `[...values(collection)].filter((r) => index.key(r) === key)` gives, in O(matches).
   */
  lookup<T extends JsonRecord>(index: IndexDef, key: string): T[];
}

export interface Transaction extends StoreReader {
  /** Insert or replace. The value is deep-copied; later changes to the caller's object do not leak in. */
  put(collection: string, id: string, value: JsonRecord): void;
  /** Returns whether a record was there. */
  delete(collection: string, id: string): boolean;
  /** Remove every record of every collection (reset). */
  clear(): void;
}

export interface Store extends StoreReader {
  /**
   * Run `fn` atomically against the current state. `fn` is synchronous on purpose: a check and the
   * write it guards (IV uniqueness, duplicate ids) can then never interleave with another request.
   * If `fn` throws, nothing it did is applied and the error is rethrown. Resolves after the changes
   * are durable (file mode) or applied (memory mode). Rejects with StoreFullError when the changes
   * would grow the state past its bound, and with StoreWriteError while the data directory cannot be
   * written (nothing applied in either case).
   */
  transaction<R>(fn: (tx: Transaction) => R): Promise<R>;
  /** Where the state lives: a directory, or `memory`. */
  readonly location: string;
  /** Write a compact snapshot now and release the lock. Idempotent. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Directory for the state file, its journal and the lock; undefined = in memory. */
  directory?: string;
  /** When the state file is corrupt or of an unknown version: move it aside and start empty. */
  moveCorruptStateAside?: boolean;
  /** The shape of the records, and how to read older shapes; default BASE_SCHEMA (version 1, nothing to upgrade). */
  schema?: RecordSchema;
}

/**
 * What the records in a data directory look like, said by whoever defines them (the store knows
 * JSON, not entities): the version written into `state.json`, and how a record written by an
 * older version is read. A state file of a newer version is refused.
 */
export interface RecordSchema {
  readonly version: number;
  /**
   * The record as this version stores it, from one `collection` held when the state was written by
   * version `from` (older than `version`). Journals carry no version of their own, so a record that
   * already has the current shape must come back unchanged.
   */
  upgrade(from: number, collection: string, record: JsonRecord): JsonRecord;
}

/** The first schema: records as they are. */
export const BASE_SCHEMA: RecordSchema = { version: 1, upgrade: (_from, _collection, record) => record };

/** Start-up refusals with one clear line each (the CLI prints `message` and exits non-zero). */
export class StoreOpenError extends Error {
  constructor(
    readonly reason: 'locked' | 'corrupt' | 'unknown-version' | 'io',
    message: string,
  ) {
    super(message);
    this.name = 'StoreOpenError';
  }
}

/**
 * The data directory cannot be written (read-only, full, removed): the store refuses writes until
 * a retry succeeds. Reads still answer the acknowledged state. `retryAfterSeconds` is how soon the
 * store tries the directory again (the next write after that retries).
 */
export class StoreWriteError extends Error {
  constructor(
    readonly directory: string,
    readonly retryAfterSeconds: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreWriteError';
  }
}

/**
 * A transaction would grow the state past the store's bound (`maxStateChars`): refused before it is
 * applied, so the state always stays small enough to be snapshotted and read back. Deletes that
 * shrink the state are always accepted.
 */
export class StoreFullError extends Error {
  constructor(
    readonly directory: string,
    readonly limitChars: number,
    readonly stateChars: number,
  ) {
    super(
      `the emulator's state (${directory}) would hold ${stateChars} characters, past its limit of ${limitChars} (the bound that keeps it saveable); delete assets, findings or other entities, or reset, then retry`,
    );
    this.name = 'StoreFullError';
  }
}

/**
 * A secondary index: the records of `collection` grouped by `key(record)` (undefined: the record is
 * not in the index). Lookups cost O(matches) instead of a scan of the collection, which is what
 * keeps per-request work flat as the state grows (the files of one asset, the links of one key).
 * `key` must be a pure function of the record: the store calls it when a record is put or removed.
 */
export interface IndexDef {
  readonly collection: string;
  readonly name: string;
  key(record: JsonRecord): string | undefined;
}
