/**
 * Why a workflow stopped when no single service call failed: the inputs were wrong, the asset is
 * not in a state the workflow can use, or the bytes did not check out.
 */
export type WorkflowFailure =
  | 'invalid-input'
  | 'size-mismatch'
  | 'certificate-mismatch'
  | 'no-storage-key'
  | 'file-not-found'
  | 'unsupported-encryption'
  | 'bad-locator'
  | 'bad-content-key'
  | 'checksum-mismatch'
  | 'streaming-endpoint'
  | 'ingest-timeout';

export class AmsWorkflowError extends Error {
  readonly reason: WorkflowFailure;
  constructor(reason: WorkflowFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AmsWorkflowError';
    this.reason = reason;
  }
}

/** Something the workflow created for itself and could not delete again. */
export interface Leftover {
  entitySet: 'Locators' | 'AccessPolicies';
  id: string;
}

/**
 * The work succeeded but the temporary locator or access policy could not be deleted. `result` is
 * what the workflow produced; `leftovers` names what to delete by hand (a SAS locator stays usable
 * until it expires, and an asset holds at most 5 locators).
 */
export class AmsCleanupError extends Error {
  readonly result: unknown;
  readonly leftovers: Leftover[];
  readonly errors: unknown[];
  constructor(result: unknown, leftovers: Leftover[], errors: unknown[]) {
    const list = leftovers.map((l) => `${l.entitySet}('${l.id}')`).join(', ');
    super(`the work finished, but deleting ${list} failed: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`);
    this.name = 'AmsCleanupError';
    this.result = result;
    this.leftovers = leftovers;
    this.errors = errors;
  }
}
