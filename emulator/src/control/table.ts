import type { Request, Response } from 'express';
import type { FaultInjector } from '../faults/injector.js';
import type { VerificationControl } from '../verify/index.js';
import { faultHandlers } from './faults.js';
import { findingHandlers } from './findings.js';
import { statusHandlers, type StatusOptions } from './status.js';
import { verificationHandlers } from './verification.js';

/**
 * Every `/_emulator` route in one table, moto-style: method, path (below `/_emulator`, Express
 * syntax), whether it changes anything, the body it reads, and its handler. `control/mount.ts`
 * mounts the table once, behind the exposure guard (`http/emulator-exposure.ts`), which lets a
 * route that mutates answer only a deliberate request.
 */
export type ControlMethod = 'GET' | 'POST' | 'DELETE';

export interface BodyRule {
  /** Largest body read (413 past it); one that is not JSON is read and dropped. */
  limit: string;
  /** Whether only an object or array is JSON (false: a bare value too). */
  strict: boolean;
}

export interface ControlRoute {
  method: ControlMethod;
  path: string;
  mutates: boolean;
  body: BodyRule;
  handler: (req: Request, res: Response) => void | Promise<void>;
}

const JSON_1MB: BodyRule = { limit: '1mb', strict: true };
/** A fault rule may be sent as any JSON value; the injector says what is wrong with it. */
const FAULT_BODY: BodyRule = { limit: '256kb', strict: false };

/** What the control plane of one emulator reads and changes. */
export interface ControlParts extends StatusOptions {
  faults: FaultInjector;
  verification: VerificationControl;
}

export function controlRoutes(parts: ControlParts): readonly ControlRoute[] {
  const status = statusHandlers(parts);
  const findings = findingHandlers(parts.services);
  const faults = faultHandlers(parts.faults);
  const verification = verificationHandlers(parts.services, parts.verification);
  return [
    { method: 'GET', path: '/health', mutates: false, body: JSON_1MB, handler: status.health },
    { method: 'POST', path: '/reset', mutates: true, body: JSON_1MB, handler: status.reset },
    { method: 'GET', path: '/state', mutates: false, body: JSON_1MB, handler: status.state },
    { method: 'GET', path: '/summary', mutates: false, body: JSON_1MB, handler: status.summary },
    { method: 'GET', path: '/requests', mutates: false, body: JSON_1MB, handler: status.requests },
    { method: 'DELETE', path: '/requests', mutates: true, body: JSON_1MB, handler: status.clearRequests },

    { method: 'GET', path: '/findings', mutates: false, body: JSON_1MB, handler: findings.list },
    { method: 'DELETE', path: '/findings', mutates: true, body: JSON_1MB, handler: findings.clear },
    { method: 'GET', path: '/rules', mutates: false, body: JSON_1MB, handler: findings.rules },

    { method: 'POST', path: '/faults', mutates: true, body: FAULT_BODY, handler: faults.add },
    { method: 'GET', path: '/faults', mutates: false, body: FAULT_BODY, handler: faults.list },
    { method: 'DELETE', path: '/faults', mutates: true, body: FAULT_BODY, handler: faults.clear },
    { method: 'DELETE', path: '/faults/:id', mutates: true, body: FAULT_BODY, handler: faults.remove },

    { method: 'POST', path: '/files/:fileId/verify', mutates: true, body: JSON_1MB, handler: verification.verifyFile },
    { method: 'POST', path: '/assets/:assetId/verify', mutates: true, body: JSON_1MB, handler: verification.verifyAsset },
    { method: 'GET', path: '/files/:fileId/verification', mutates: false, body: JSON_1MB, handler: verification.verification },
    { method: 'POST', path: '/files/:fileId/expect', mutates: true, body: JSON_1MB, handler: verification.expect },
    { method: 'GET', path: '/verifications', mutates: false, body: JSON_1MB, handler: verification.list },
  ];
}
