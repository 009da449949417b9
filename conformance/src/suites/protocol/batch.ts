import { randomBytes } from 'node:crypto';
import { odataString } from '../../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../../runner/recorder.js';
import { withResources, type Resources } from '../../workflow/resources.js';
import type { SuiteContext } from '../types.js';
import { batchBody, readBatchResponse, type PartResponse, type ResponseItem } from '../../../../client/src/rest/batch-wire.js';
import { assetIdOfLocation, expectStatus } from './expect.js';
import { formatById } from './formats.js';

const BOUNDARY = 'batch_amsconf';
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };

/**
 * `$batch` (OData v3, as the SDKs create jobs): a changeset whose second operation names the first
 * by its Content-ID, answered 202 with a multipart part per operation in order; a query outside
 * the changeset that sees its work; and a changeset that fails part way, answered with its one
 * failure and leaving nothing of what it did.
 */
export async function batchCheck(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target } = context;
  const format = formatById('minimal');
  await cases.check('batch-changesets', 'POST $batch: a changeset with a Content-ID reference runs in order (201, 204) and a query after it sees its work; a failing changeset is answered with its failure and leaves nothing', async () => {
    await withResources(target.client(), async (resources) => {
      const prefix = `amsconf-batch-${randomBytes(4).toString('hex')}-`;
      const created = await post(context, [
        {
          changeset: [
            { method: 'POST', url: 'Assets', contentId: '1', headers: JSON_HEADERS, body: JSON.stringify({ Name: `${prefix}made` }) },
            { method: 'MERGE', url: '$1', headers: JSON_HEADERS, body: JSON.stringify({ Name: `${prefix}renamed` }) },
          ],
        },
        { method: 'GET', url: `Assets?$filter=${encodeURIComponent(`Name eq ${odataString(`${prefix}renamed`)}`)}`, headers: { Accept: 'application/json' } },
      ]);
      const [changeset, query] = created;
      const [create, merge] = changesetOf(changeset, 'the first changeset');
      track(resources, create);
      expectThat(create?.status === 201, () => `the changeset's POST Assets answered ${create?.status}, not 201: ${create?.body.slice(0, 200)}`);
      expectThat(create?.headers['content-id'] === '1', () => `the changeset's POST Assets came back with Content-ID ${JSON.stringify(create?.headers['content-id'])}, not "1"`);
      expectThat(merge?.status === 204, () => `MERGE $1 (the asset the changeset made) answered ${merge?.status}, not 204: ${merge?.body.slice(0, 200)}`);
      const listed = single(query, 'the query after the changeset');
      expectThat(listed.status === 200, () => `the query after the changeset answered ${listed.status}, not 200`);
      const names = format.readFeed(listed.body).map((e) => e.properties['Name']);
      expectThat(names.length === 1 && names[0] === `${prefix}renamed`, () => `the query after the changeset found ${JSON.stringify(names)}, not the renamed asset`);

      const failed = await post(context, [
        {
          changeset: [
            { method: 'POST', url: 'Assets', contentId: '1', headers: JSON_HEADERS, body: JSON.stringify({ Name: `${prefix}undone` }) },
            { method: 'POST', url: 'Files', contentId: '2', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'x.mp4', ParentAssetId: 'nb:cid:UUID:00000000-0000-0000-0000-000000000000' }) },
          ],
        },
      ]);
      const answers = changesetOf(failed[0], 'the failing changeset');
      for (const answer of answers) track(resources, answer);
      expectThat(answers.length === 1 && answers[0]!.status >= 400 && answers[0]!.status < 500, () => `a changeset whose second operation fails is answered with that failure alone; got ${JSON.stringify(answers.map((a) => a.status))}`);
      const left = await target.raw.send('GET', { path: `Assets?$filter=${encodeURIComponent(`Name eq ${odataString(`${prefix}undone`)}`)}`, accept: format.accept });
      expectStatus(left, 200, 'GET the asset the failed changeset created');
      const survivors = format.readFeed(left.text);
      for (const s of survivors) if (s.properties['Id']) resources.track('Assets', s.properties['Id']);
      expectThat(survivors.length === 0, 'the asset a failed changeset created is still there: a changeset is all or nothing');
    });
  });
}

async function post(context: SuiteContext, items: Parameters<typeof batchBody>[1]): Promise<ResponseItem[]> {
  const response = await context.target.raw.send('POST', {
    path: '$batch',
    accept: 'multipart/mixed',
    contentType: `multipart/mixed; boundary=${BOUNDARY}`,
    body: batchBody(BOUNDARY, items),
  });
  expectStatus(response, 202, 'POST $batch');
  try {
    return readBatchResponse(response.headers.get('content-type'), response.text);
  } catch (err) {
    throw new Error(`the $batch answer is not a multipart/mixed answer of HTTP responses: ${(err as Error).message}`);
  }
}

function changesetOf(item: ResponseItem | undefined, what: string): PartResponse[] {
  if (!item || !('changeset' in item)) throw new Error(`${what} was not answered with a changeset part`);
  return item.changeset;
}

function single(item: ResponseItem | undefined, what: string): PartResponse {
  if (!item || 'changeset' in item) throw new Error(`${what} was not answered with one HTTP response part`);
  return item;
}

/** Whatever a part created is cleaned up after the check, passed or not. */
function track(resources: Resources, part: PartResponse | undefined): void {
  const id = assetIdOfLocation(part?.headers['location']);
  if (id) resources.track('Assets', id);
}
