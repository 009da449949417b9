import { recordDeviations, type StrictRefusal } from '../domain/deviations.js';
import type { RequestInfo } from '../domain/findings.js';
import type { Services } from '../app/services.js';

/**
 * Strict mode refused a request (or one operation of a `$batch`): its deviations are still
 * findings (findings always), marked refused. The refusal is answered whether or not they could
 * be stored.
 */
export async function recordRefusal(services: Services, info: RequestInfo, refusal: StrictRefusal): Promise<void> {
  try {
    await services.store.transaction((tx) => recordDeviations(tx, info, refusal.deviations, () => services.ids.guid(), services.now(), { refused: true }));
  } catch {
    // Not stored: the answer still goes out.
  }
}
