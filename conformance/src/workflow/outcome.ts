import { AmsRequestError } from '../../../client/src/index.js';

/** A call the target may accept or refuse, both being legitimate answers depending on its mode. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; status: number; code: string | undefined; message: string };

/** Run `call`; a refusal with an HTTP status becomes a value, anything else stays an error. */
export async function outcomeOf<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    if (err instanceof AmsRequestError) return { ok: false, status: err.status, code: err.code, message: err.serviceMessage ?? err.message };
    throw err;
  }
}

/** A short description of a refusal for assertion messages. */
export function describeRefusal(outcome: { status: number; code: string | undefined; message: string }): string {
  return `HTTP ${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}: ${outcome.message}`;
}
