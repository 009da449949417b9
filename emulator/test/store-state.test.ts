import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StateOp } from '../src/store/ops.js';
import { decodeJournalLine, encodeJournalLine } from '../src/store/ops.js';
import { State, type UndoEntry } from '../src/store/state.js';

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
