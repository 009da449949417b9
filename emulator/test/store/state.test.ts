import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StateOp } from '../../src/store/ops.js';
import { decodeJournalLine, encodeJournalLine } from '../../src/store/ops.js';
import { snapshotText } from '../../src/store/snapshot-file.js';
import { snapshotDocument } from '../../src/store/snapshot-format.js';
import { State, type UndoEntry } from '../../src/store/state.js';

const collection = fc.constantFrom('a', 'b');
const id = fc.constantFrom('1', '2', '3', 'x', 'y', '__proto__');
const op: fc.Arbitrary<StateOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), collection, id, value: fc.record({ n: fc.integer() }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('del' as const), collection, id }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
);

function dump(state: State): Array<[string, Array<[string, unknown]>]> {
  return [...state.collections()].map(([name, records]) => [name, [...records]]);
}

describe('store state', () => {
  it('rolls back any sequence of applied batches to the exact earlier state, order included', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), fc.array(fc.array(op, { maxLength: 8 }), { maxLength: 5 }), (initial, batches) => {
        const state = new State();
        state.apply(initial);
        const before = dump(state);
        const undos: UndoEntry[][] = [];
        for (const batch of batches) {
          const undo: UndoEntry[] = [];
          state.apply(batch, undo);
          undos.push(undo);
        }
        for (const undo of undos.reverse()) state.rollback(undo);
        expect(dump(state)).toEqual(before);
        // Still usable afterwards, with insertion order intact for new records.
        state.apply([{ kind: 'put', collection: 'a', id: 'new', value: { n: 0 } }]);
        expect([...state.collectionEntries('a')].at(-1)?.[0]).toBe('new');
      }),
      { numRuns: 500 },
    );
  });

  it('keeps its character count (what maxStateChars bounds) exact through any apply and rollback', () => {
    const recount = (state: State) => dump(state).reduce((sum, [, records]) => sum + records.reduce((n, [recordId, value]) => n + JSON.stringify(value).length + recordId.length + 8, 0), 0);
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), fc.array(fc.array(op, { maxLength: 8 }), { maxLength: 5 }), (initial, batches) => {
        const state = new State();
        state.apply(initial);
        expect(state.chars).toBe(recount(state));
        const undos: UndoEntry[][] = [];
        for (const batch of batches) {
          const undo: UndoEntry[] = [];
          state.apply(batch, undo);
          undos.push(undo);
          expect(state.chars).toBe(recount(state));
        }
        for (const undo of undos.reverse()) state.rollback(undo);
        expect(state.chars).toBe(recount(state));
      }),
      { numRuns: 300 },
    );
  });

  it('streams a snapshot as exactly the text JSON.stringify gives, in pieces no larger than one record', () => {
    const value = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 4 });
    const putAny = fc.record({ kind: fc.constant('put' as const), collection: fc.string({ maxLength: 4 }), id: fc.string({ maxLength: 5 }), value });
    fc.assert(
      fc.property(fc.array(fc.oneof(putAny, op), { maxLength: 30 }), fc.nat(100), (ops, generation) => {
        const state = new State();
        state.apply(ops);
        const document = snapshotDocument(state, generation);
        const pieces = [...snapshotText(document)];
        expect(pieces.join('')).toBe(JSON.stringify(document));
        const largestRecord = Math.max(0, ...[...state.collections()].flatMap(([, records]) => [...records].map(([recordId, v]) => JSON.stringify(recordId).length + JSON.stringify(v).length + 2)));
        for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(Math.max(largestRecord, 80));
      }),
      { numRuns: 300 },
    );
  });

  it('encodes journal lines that decode to the same ops', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 8 }), (ops) => {
        const encoded = encodeJournalLine(ops.map((o) => (o.kind === 'put' ? { ...o, json: JSON.stringify(o.value) } : o)));
        expect(encoded).not.toContain('\n');
        expect(decodeJournalLine(encoded)).toEqual(ops);
      }),
    );
  });

  it('rejects journal lines it could not have written', () => {
    for (const line of ['', '{}', '{"ops":{}}', '{"ops":[["put","a","b"]]}', '{"ops":[["put","a","b",[]]]}', '{"ops":[["del","a"]]}', '{"ops":[["drop"]]}', '{"ops":[["clear",1]]}']) {
      expect(decodeJournalLine(line), line).toBeUndefined();
    }
  });
});
