import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmsClient, uploadEncrypted } from '../../../client/src/index.js';
import { ensureBuilt } from '../../../test/support/build.js';
import { startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { withinMs } from '../../../test/support/timing.js';
import { postJob } from '../helpers/jobs-fixtures.js';
import { toneWav } from '../helpers/media.js';
import { mp4Like, uploadFile, verificationOf, type Upload } from '../helpers/upload-workflow.js';

/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core, against an
 * in-process emulator with real Azurite and real uploads (the reference client's, and a broken
 * client's). `npm test` runs this (the `browser` project); without Chromium it fails, saying how
 * to install it, rather than skipping (`.ci/run` installs it). AMS_CHROMIUM names another binary.
 * With AMS_DASHBOARD_SCREENSHOTS=<dir> it also writes the README's screenshots there.
 */

const CHROMIUM = process.env['AMS_CHROMIUM'] ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env['AMS_DASHBOARD_SCREENSHOTS'];

let emu: TestEmulator;
let browser: Browser;
let page: Page;
let good: { assetId: string; fileId: string };
let broken: Upload;
let blocks: Upload;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: the dashboard's browser test needs it. Install it (apt-get install -y chromium, as .ci/run does) or set AMS_CHROMIUM to a Chromium binary`);
  }
  await ensureBuilt();
  emu = await startTestEmulator();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'] });

  // The reference client: a storage-encrypted upload of a real media file.
  const client = new AmsClient({ endpoint: emu.url, auth: { kind: 'static', token: 'dev' }, userAgent: 'ams-client (dashboard test)' });
  const wav = toneWav(60, 48_000); // 5.8 MB: more than the browser reads ahead, so a far seek needs a range request
  const uploaded = await uploadEncrypted(client, [{ name: 'tone.wav', stream: Readable.from([wav]), size: wav.length }], { assetName: 'reference upload' });
  good = { assetId: uploaded.assetId, fileId: String(uploaded.files[0]!.id) };
  // A broken client: the IV laid little-endian; and one that encrypted each block from offset 0.
  broken = await uploadFile(emu, { name: 'broken.mp4', data: mp4Like(200_000), contentChecksum: true, mistake: { kind: 'iv-little-endian' }, userAgent: 'BrokenClient/0.1' });
  blocks = await uploadFile(emu, { name: 'blocks.mp4', data: mp4Like(3 * 65_536 + 1000), contentChecksum: true, blockSize: 65_536, mistake: { kind: 'blocks-encrypted-from-offset-0' }, userAgent: 'BlockClient/0.2' });
  for (const id of [good.fileId, broken.fileId, blocks.fileId]) await verificationOf(emu, id);
  const job = await postJob(emu, [good.assetId], 'minimal', { name: 'decrypt for the dashboard' });
  expect(job.status, job.text).toBe(201);

  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  // No HTTP cache: a seek must reach the origin as a range request, not be answered from the cache.
  await (await page.context().newCDPSession(page)).send('Network.setCacheDisabled', { cacheDisabled: true });
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 503/.test(m.text())) problems.push(m.text());
  });
  await page.goto(`${emu.baseUrl}_emulator/ui`);
  // Nothing the page does may break its CSP or throw; checked once more at the end.
  pageProblems = problems;
}, 180_000);

let pageProblems: string[] = [];

/** Eventually: the page polls every 1.5 s, longer than expect.poll's default second. */
function poll<T>(read: () => Promise<T> | T, options: { timeout?: number } = {}) {
  return expect.poll(read, { timeout: options.timeout ?? withinMs(10_000), interval: 100 });
}

/** What the test reads of the page's media element (the test itself compiles without DOM types). */
interface MediaLike {
  readyState: number;
  currentTime: number;
  duration: number;
  play(): Promise<void>;
  addEventListener(type: 'seeked', listener: () => void, options: { once: boolean }): void;
}

afterAll(async () => {
  await browser?.close();
  await emu?.close();
});

/** The page, or one element of it (kept small for the README). */
async function screenshot(name: string, element?: Locator): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await (element ?? page).screenshot({ path: join(SCREENSHOTS, name), type: 'png' });
}

/** `<locator guid>/` of the asset's OnDemandOrigin locator. */
function originPath(locators: JsonBody[]): string {
  return new URL(String(locators.find((l) => l.Type === 2)!.Path)).pathname.replace(/^\/origin\//, '');
}

async function count(name: string): Promise<string> {
  return (await page.locator(`[data-count="${name}"] .n`).textContent()) ?? '';
}

describe('the dashboard in Chromium', () => {
  it('overview: health and the counts per entity set', async () => {
    await poll(() => page.locator('#health').textContent()).toBe('healthy');
    // Three uploads' assets and the job's output asset; their files; the job and its task.
    await poll(() => count('Assets')).toBe('4');
    expect(await count('Files')).toBe('4'); // the job's output too
    expect(await count('Jobs')).toBe('1');
    expect(await count('Tasks')).toBe('1');
    expect(await page.locator('#view-overview .facts').textContent()).toContain('embedded Azurite');
  });

  it('the request log updates without a reload, errors highlighted, filterable by client', async () => {
    await emu.ams('GET', 'Assets', { headers: { 'User-Agent': 'LiveClient/9.9' } });
    await emu.ams('GET', "Assets('nb:cid:UUID:00000000-0000-0000-0000-000000000000')", { headers: { 'User-Agent': 'LiveClient/9.9' } });
    const live = page.locator('#requests tbody tr', { hasText: 'LiveClient/9.9' });
    await poll(() => live.count()).toBe(2);
    expect(await live.first().getAttribute('class')).toBe('err'); // newest first: the 404
    await page.selectOption('#request-client', 'LiveClient/9.9');
    expect(await page.locator('#requests tbody tr').count()).toBe(2);
    await page.selectOption('#request-client', '');
    await screenshot('dashboard-overview.png');
  });

  it('verdicts: FAIL with its counts, the broken client\'s finding with its diagnosis, linked to its request', async () => {
    await page.click('#tab-verdicts');
    await poll(() => page.locator('#verdict').textContent()).toMatch(/^FAIL: 2 error findings \(decrypt-verification-failed\); 2 files failed decrypt verification/);
    expect(await page.locator('#verdict').textContent()).toContain('3 storage-encrypted, 1 clear; 2 verified by digest, 0 type-checked only, 0 unverifiable, 2 failed'); // the clear one: the job's output
    const finding = page.locator('article.finding', { hasText: 'iv-little-endian' });
    expect(await finding.getAttribute('data-rule')).toBe('decrypt-verification-failed');
    expect(await finding.textContent()).toContain('BrokenClient/0.1');
    await page.selectOption('#finding-grouping', 'client');
    expect(await page.locator('#findings h3', { hasText: 'BrokenClient/0.1' }).count()).toBe(1);
    await finding.locator('a', { hasText: 'MERGE' }).click();
    expect(await page.locator('#tab-overview').getAttribute('aria-selected')).toBe('true');
    expect(await page.locator(`#req-${broken.completing.requestId}`).isVisible()).toBe(true);
  });

  it('verifications: the passed one, and the failed ones with their evidence drawn', async () => {
    await page.click('#tab-verifications');
    const passed = page.locator(`article.vcard[data-file-id="${good.fileId}"]`);
    expect(await passed.getAttribute('data-status')).toBe('verified');
    expect(await passed.locator('.badge.passed', { hasText: 'content-checksum: passed' }).count()).toBe(1);

    const failed = page.locator(`article.vcard[data-file-id="${broken.fileId}"]`);
    expect(await failed.getAttribute('data-status')).toBe('failed');
    const head = (await failed.locator('[data-evidence="head"]').textContent()) ?? '';
    expect(head.split('\n')).toHaveLength(4); // 64 bytes, 16 a row
    expect(await failed.locator('[data-evidence="signature"]').textContent()).toContain('ftyp');
    // Decrypted the way the mistake says, the bytes are the file: its ftyp box shows in the ASCII column.
    expect(await failed.locator('[data-evidence="explained-head"]').textContent()).toContain('ftyp');
    expect(await failed.locator('.hypotheses li.explains').textContent()).toContain('iv-little-endian');
    expect(await failed.locator('.hypotheses li').count()).toBeGreaterThan(3);

    const bar = page.locator(`article.vcard[data-file-id="${blocks.fileId}"] [data-evidence="byte-ranges"] .bar`);
    expect(await bar.locator('.good').count()).toBe(1);
    expect(await bar.locator('.wrong').count()).toBe(3);
    await screenshot('dashboard-verifications.png', page.locator(`article.vcard[data-file-id="${blocks.fileId}"]`));
  });

  it('account: an asset\'s files with their verification; jobs with their tasks', async () => {
    await page.click('#tab-account');
    const row = page.locator(`#account-table tr[data-id="${good.assetId}"]`);
    await row.click();
    const file = page.locator('#asset-files tr[data-file="tone.wav"]');
    expect(await file.locator('.badge').textContent()).toBe('verified');
    const keys = await emu.ams('GET', `Assets('${encodeURIComponent(good.assetId)}')/ContentKeys`);
    const keyId = String((keys.body.value as JsonBody[])[0]!.Id);
    await page.click('button[data-set="ContentKeys"]');
    await page.locator(`#account-table tr[data-id="${keyId}"]`).click();
    await page.locator(`#account-detail [data-linked-asset="${good.assetId}"]`).waitFor();
    await page.click('button[data-set="Jobs"]');
    await page.locator('#account-table tbody tr').first().click();
    await poll(() => page.locator('#account-detail').textContent()).toContain('Finished');
  });

  it('play: the storage-encrypted WAV plays from an OnDemandOrigin locator made for it, and seeks with a range request', async () => {
    await page.click('button[data-set="Assets"]');
    await page.locator(`#account-table tr[data-id="${good.assetId}"]`).click();
    await emu.admin('DELETE', 'requests');
    await page.locator('#asset-files tr[data-file="tone.wav"] button', { hasText: 'Play' }).click();
    const player = page.locator('#player');
    await player.waitFor();
    const locators = await emu.ams('GET', `Assets('${encodeURIComponent(good.assetId)}')/Locators`);
    expect((locators.body.value as JsonBody[]).map((l) => l.Type)).toContain(2);
    // The asset is storage encrypted: Play linked a NoDynamicEncryption policy first, as a user had to.
    const policies = await emu.ams('GET', `Assets('${encodeURIComponent(good.assetId)}')/DeliveryPolicies`);
    expect((policies.body.value as JsonBody[]).map((p) => [p.Name, p.AssetDeliveryPolicyType])).toEqual([['dashboard-play', 2]]);

    await poll(() => player.evaluate((el: MediaLike) => el.readyState)).toBeGreaterThanOrEqual(1);
    await player.evaluate((el: MediaLike) => el.play());
    await poll(() => player.evaluate((el: MediaLike) => el.currentTime)).toBeGreaterThan(0.2);
    expect(await player.evaluate((el: MediaLike) => el.duration)).toBeCloseTo(60, 0);
    const landed = await player.evaluate(
      (el: MediaLike) =>
        new Promise<number>((resolve) => {
          el.addEventListener('seeked', () => resolve(el.currentTime), { once: true });
          el.currentTime = 55;
        }),
    );
    expect(landed).toBeGreaterThanOrEqual(54.9);
    await poll(() => player.evaluate((el: MediaLike) => el.currentTime)).toBeGreaterThan(55.1);
    // The media element asks for byte ranges (206), decrypted by the origin from their offset.
    const log = (await emu.admin('GET', 'requests')).body.requests as JsonBody[];
    expect(log.filter((r) => String(r.path) === `/origin/${originPath(locators.body.value as JsonBody[])}tone.wav` && r.status === 206).length, JSON.stringify(log)).toBeGreaterThan(0);
  });

  it('faults: a rule added in the page makes the next API call fail; one removed in the page is gone', async () => {
    await page.click('#tab-faults');
    await page.fill('#fault-entity', 'MediaProcessors');
    await page.selectOption('#fault-method', 'GET');
    await page.fill('#fault-status', '503');
    await page.fill('#fault-count', '1');
    await page.click('#fault-add');
    await poll(() => page.locator('#fault-rules tbody tr[data-fault]').count()).toBe(1);
    expect((await emu.ams('GET', 'MediaProcessors')).status).toBe(503);
    expect((await emu.ams('GET', 'MediaProcessors')).status).toBe(200);

    await page.fill('#fault-entity', 'Assets');
    await page.fill('#fault-count', '');
    await page.click('#fault-add');
    await poll(() => page.locator('#fault-rules tbody tr[data-fault]').count()).toBe(2);
    const rule = page.locator('#fault-rules tbody tr[data-fault]', { hasText: 'Assets' });
    await rule.locator('button', { hasText: 'Remove' }).click();
    await poll(() => page.locator('#fault-rules tbody tr[data-fault]').count()).toBe(1);
    expect(((await emu.admin('GET', 'faults')).body.faults as JsonBody[]).map((f) => f.entity)).toEqual(['MediaProcessors']);
    expect((await emu.ams('GET', 'Assets')).status).toBe(200);
  });

  it('nothing on the page threw or broke its CSP', () => {
    expect(pageProblems).toEqual([]);
  });
});

describe('at 10,000 assets', () => {
  it('the account browser pages through them, and the page stays responsive', async () => {
    await emu.reset();
    const total = 10_000;
    const workers = 16;
    let next = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < total) {
          const n = next++;
          const res = await emu.ams('POST', 'Assets', { body: { Name: `bulk-${String(n).padStart(5, '0')}` } });
          expect(res.status).toBe(201);
        }
      }),
    );
    await page.goto(`${emu.baseUrl}_emulator/ui#account`);
    await poll(() => page.locator('#account-page').textContent()).toBe(`1–25 of ${total}`);
    expect(await page.locator('#account-table tbody tr').count()).toBe(25);
    await page.click('#account-next');
    await poll(() => page.locator('#account-page').textContent()).toBe(`26–50 of ${total}`);
    await page.click('#account-last');
    await poll(() => page.locator('#account-page').textContent()).toBe(`9976–10000 of ${total}`);
    expect(await page.locator('#account-table tbody tr').last().textContent()).toContain('bulk-09999');
    await page.click('#tab-overview');
    await poll(() => count('Assets')).toBe(String(total));

    // No multi-second freeze: the page answers a round trip through its event loop promptly
    // while it keeps polling.
    const started = Date.now();
    for (let i = 0; i < 5; i++) await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(Date.now() - started).toBeLessThan(withinMs(2000));
  }, 600_000);
});
