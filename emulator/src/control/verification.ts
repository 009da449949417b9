import type { Request, Response } from 'express';
import { badRequest } from '../odata/errors.js';
import { findAsset } from '../model/asset.js';
import { filesOfAsset, findFile } from '../model/asset-file.js';
import type { Services } from '../app/services.js';
import type { VerificationControl, VerificationRecord } from '../verify/index.js';
import { getVerification, listVerifications, setExpectation } from '../verify/verification-store.js';
import { routeParam } from './route-param.js';

/** Longest a caller may hold a request waiting (`?wait=` seconds). */
const MAX_WAIT_SECONDS = 300;
/** How long an on-demand verify waits for its result before answering 202. */
const DEFAULT_VERIFY_WAIT_SECONDS = 30;

/**
 * The `/_emulator` handlers for verification (control/table.ts routes them):
 *   POST /files/{fileId}/verify[?wait=s]      verify now; 200 + result, or 202 + pending
 *   POST /assets/{assetId}/verify[?wait=s]    every file of the asset
 *   GET  /files/{fileId}/verification         the latest result
 *   POST /files/{fileId}/expect {"sha256"}    the SHA-256 the clear bytes must have (null removes it)
 *   GET  /verifications[?wait=s&status=&assetId=]  all results; `wait` holds until none is pending
 * Ids are percent-encoded (`nb%3Acid%3AUUID%3A...`); a quoted form `'...'` is accepted too.
 */
export function verificationHandlers(services: Services, control: VerificationControl) {
  return {
    async verifyFile(req: Request, res: Response): Promise<void> {
      const fileId = fileIdOf(services, routeParam(req, 'fileId'));
      control.verifyNow(fileId);
      const done = await control.settled(fileId, waitSeconds(req, DEFAULT_VERIFY_WAIT_SECONDS) * 1000);
      res.status(done ? 200 : 202).json(view(services, control, fileId));
    },

    async verifyAsset(req: Request, res: Response): Promise<void> {
      const assetId = findAsset(services.store, unquote(routeParam(req, 'assetId'))).Id;
      const fileIds = filesOfAsset(services.store, assetId).map((f) => f.Id);
      for (const fileId of fileIds) control.verifyNow(fileId);
      const timeoutMs = waitSeconds(req, DEFAULT_VERIFY_WAIT_SECONDS) * 1000;
      const done = (await Promise.all(fileIds.map((id) => control.settled(id, timeoutMs)))).every(Boolean);
      res.status(done ? 200 : 202).json({ assetId, verifications: fileIds.map((id) => view(services, control, id)) });
    },

    verification(req: Request, res: Response): void {
      // A deleted file's verification is still served: it stays until reset.
      const kept = keptVerification(services, routeParam(req, 'fileId'));
      const fileId = kept?.fileId ?? fileIdOf(services, routeParam(req, 'fileId'));
      res.status(200).json(view(services, control, fileId));
    },

    async expect(req: Request, res: Response): Promise<void> {
      const fileId = fileIdOf(services, routeParam(req, 'fileId'));
      const sha256 = expectedSha256(req.body);
      await setExpectation(services.store, fileId, sha256, services.now());
      control.verifySoon(fileId);
      res.status(200).json({ fileId, expected: sha256 === null ? null : { sha256 } });
    },

    async list(req: Request, res: Response): Promise<void> {
      const wait = waitSeconds(req, 0);
      const idle = wait > 0 ? await control.idle(wait * 1000) : control.pendingCount() === 0;
      const status = typeof req.query['status'] === 'string' ? req.query['status'] : undefined;
      const assetId = typeof req.query['assetId'] === 'string' ? req.query['assetId'].toLowerCase() : undefined;
      const verifications = listVerifications(services.store).filter((v) => (!status || v.status === status) && (!assetId || (v.assetId ?? '').toLowerCase() === assetId));
      res.status(200).json({ pending: control.pendingCount(), idle, verifications });
    },
  };
}

type View = VerificationRecord | { fileId: string; status: 'pending' | 'skipped'; reasonCode: 'queued' | 'not-verified'; reason: string; checks: []; diagnosis: null };

/** The stored result; a file with none yet (state from before verification existed) says how to start one. */
function view(services: Services, control: VerificationControl, fileId: string): View {
  const stored = getVerification(services.store, fileId);
  if (stored) return stored;
  if (control.isPending(fileId)) return { fileId, status: 'pending', reasonCode: 'queued', reason: 'queued', checks: [], diagnosis: null };
  return { fileId, status: 'skipped', reasonCode: 'not-verified', reason: `not verified yet: POST /_emulator/files/${encodeURIComponent(fileId)}/verify`, checks: [], diagnosis: null };
}

function fileIdOf(services: Services, raw: string | undefined): string {
  return findFile(services.store, unquote(raw)).Id;
}

/** The verification of a file that no longer exists, by its id in any letter case. */
function keptVerification(services: Services, raw: string | undefined): VerificationRecord | undefined {
  const id = unquote(raw).toLowerCase();
  return listVerifications(services.store).find((v) => v.deleted !== null && v.fileId.toLowerCase() === id);
}

function unquote(raw: string | undefined): string {
  const text = (raw ?? '').trim();
  return text.length >= 2 && text.startsWith("'") && text.endsWith("'") ? text.slice(1, -1).replace(/''/g, "'") : text;
}

function waitSeconds(req: Request, fallback: number): number {
  const raw = req.query['wait'];
  if (raw === undefined) return fallback;
  const seconds = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(seconds) || seconds < 0) throw badRequest(`wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, not ${JSON.stringify(raw)}`);
  return Math.min(seconds, MAX_WAIT_SECONDS);
}

function expectedSha256(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('sha256' in body)) {
    throw badRequest('send a JSON body {"sha256": "<64 hex digits>"} (the SHA-256 of the clear file), or {"sha256": null} to remove it');
  }
  const value = (body as { sha256: unknown }).sha256;
  if (value === null) return null;
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value.trim())) {
    throw badRequest(`sha256 must be 64 hex digits (the SHA-256 of the clear file), not ${JSON.stringify(value).slice(0, 100)}`);
  }
  return value.trim().toLowerCase();
}
