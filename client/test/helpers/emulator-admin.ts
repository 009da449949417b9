import type { TestEmulator } from '../../../test/support/emulator.js';

/**
 * The emulator's control plane (`/_emulator/...`), failing loudly on anything but 2xx. Mutating calls
 * always carry `Content-Type: application/json` and a body (`{}` when there is none): the emulator
 * takes only non-simple requests there, so a web page cannot reset or fault it.
 */
export type EmulatorAdmin = <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => Promise<T>;

export function emulatorAdmin(emu: TestEmulator): EmulatorAdmin {
  return async <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${emu.baseUrl}_emulator/${path}`, {
      method,
      ...(method === 'GET' ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /_emulator/${path} answered ${response.status}: ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
}

export interface FaultView {
  id: string;
  matched: number;
  applied: number;
}

/** One line of `GET /_emulator/requests`. */
export interface RequestView {
  method: string;
  /** Path without the query string, as sent (not decoded). */
  path: string;
  status: number;
}
