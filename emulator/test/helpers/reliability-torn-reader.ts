/**
 * A reader that polls a data directory in a tight loop on its own thread while a test writes
 * through the emulator: `state.json` must parse as a whole snapshot every time, and every complete
 * (newline-terminated) line of every journal must parse as JSON. Only a journal's unterminated
 * tail may be partial: that is an append in progress, never acknowledged.
 *
 * It runs in a worker so that its synchronous loop neither starves nor is starved by the test's
 * HTTP clients; the worker's source is plain JS because a worker does not go through vitest.
 */
import { Worker } from 'node:worker_threads';

export interface TornReadReport {
  /** Times `state.json` was read and parsed. */
  snapshotReads: number;
  /** Distinct snapshot generations seen: more than one means a rewrite happened under the reader. */
  generations: number[];
  /** Times a journal was read. */
  journalReads: number;
  /** Complete journal lines parsed, over all reads. */
  journalLines: number;
  /** Reads that saw a torn or invalid document or line: the file, and what was wrong. */
  torn: string[];
}

export interface TornReader {
  /** Stop polling and return what was seen. */
  stop(): Promise<TornReadReport>;
}

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { readFileSync, readdirSync } = require('node:fs');
const { join } = require('node:path');
const { directory, flag } = workerData;
const stop = new Int32Array(flag);
const report = { snapshotReads: 0, generations: [], journalReads: 0, journalLines: 0, torn: [] };
const generations = new Set();
const note = (file, what, text) => {
  if (report.torn.length < 20) report.torn.push(file + ': ' + what + ' (' + text.length + ' bytes, ends ' + JSON.stringify(text.slice(-80)) + ')');
};
const read = (file) => {
  try {
    return readFileSync(join(directory, file), 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
};
while (Atomics.load(stop, 0) === 0) {
  const snapshot = read('state.json');
  if (snapshot !== undefined) {
    report.snapshotReads++;
    try {
      const doc = JSON.parse(snapshot);
      if (typeof doc !== 'object' || doc === null || typeof doc.generation !== 'number' || typeof doc.collections !== 'object') note('state.json', 'not a snapshot document', snapshot);
      else generations.add(doc.generation);
    } catch (error) {
      note('state.json', String(error.message), snapshot);
    }
  }
  let names = [];
  try {
    names = readdirSync(directory).filter((name) => /^journal-\\d+\\.jsonl$/.test(name));
  } catch {}
  for (const name of names) {
    const text = read(name);
    if (text === undefined) continue;
    report.journalReads++;
    const lines = text.split('\\n');
    lines.pop();
    for (const line of lines) {
      try {
        JSON.parse(line);
        report.journalLines++;
      } catch (error) {
        note(name, 'a complete line that is not JSON: ' + String(error.message), line);
      }
    }
  }
}
report.generations = [...generations].sort((a, b) => a - b);
parentPort.postMessage(report);
`;

export function startTornReader(directory: string): TornReader {
  const flag = new SharedArrayBuffer(4);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { directory, flag } });
  const result = new Promise<TornReadReport>((resolve, reject) => {
    worker.once('message', (report: TornReadReport) => resolve(report));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the torn-write reader exited (${code}) without a report`)));
  });
  return {
    async stop() {
      Atomics.store(new Int32Array(flag), 0, 1);
      const report = await result;
      await worker.terminate();
      return report;
    },
  };
}
