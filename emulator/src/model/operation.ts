/**
 * An Operation: the record of one asynchronous change the service answered `202 Accepted` for
 * (ams-v2-surface.md §4.3). Clients poll `Operations('<id>')` until State leaves InProgress;
 * Failed carries the service's ErrorCode and a message. What the change does when it completes is
 * kept with it (`_internal.outcome`), so an operation is applied exactly once, when it completes.
 */
import { formatNbId } from '../../../client/src/crypto/index.js';
import type { IdGenerator } from '../ids.js';
import type { StoreReader, Transaction } from '../store/types.js';
import { COLLECTIONS } from './collections.js';
import type { OperationOutcome, OperationRecord } from './records.js';
import { unknown } from './refusal.js';

export type { OperationErrorCode, OperationOutcome, OperationRecord, OperationState } from './records.js';

export const OPERATION_ID_TAG = 'opid';

/** How operations advance: at once, or after N polls of `Operations('<id>')`. */
export type OperationPacing = { mode: 'immediate' } | { mode: 'polls'; pollsPerState: number };

/** A new operation, InProgress: its outcome is applied when it completes. */
export function newOperation(ids: IdGenerator, targetId: string, outcome: OperationOutcome): OperationRecord {
  return {
    Id: formatNbId(OPERATION_ID_TAG, ids.guid()),
    State: 'InProgress',
    TargetEntityId: targetId,
    ErrorCode: null,
    ErrorMessage: null,
    _internal: { outcome, polls: 0 },
  };
}

/** The operation with its final state: Failed with the refusal's code, else Succeeded. */
export function finished(operation: OperationRecord): OperationRecord {
  const outcome = operation._internal.outcome;
  if (outcome.kind === 'fail') return { ...operation, State: 'Failed', ErrorCode: outcome.code, ErrorMessage: outcome.message };
  return { ...operation, State: 'Succeeded' };
}

/** Whether this poll (already counted) completes the operation. */
export function pollCompletes(operation: OperationRecord, pacing: OperationPacing): boolean {
  return pacing.mode === 'immediate' || operation._internal.polls >= Math.max(1, pacing.pollsPerState);
}

/** An operation by its canonical id; 404 when there is none. */
export function findOperation(reader: StoreReader, id: string): OperationRecord {
  const operation = reader.get<OperationRecord>(COLLECTIONS.Operations, id);
  if (!operation) throw unknown(`No Operation with Id '${id}' was found`, 'OperationNotFound');
  return operation;
}

export function putOperation(tx: Transaction, operation: OperationRecord): void {
  // Ids the emulator makes are canonical already (lower-case GUID).
  tx.put(COLLECTIONS.Operations, operation.Id, operation);
}
