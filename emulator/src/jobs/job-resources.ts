import { readEntityBody, type EntityBody } from '../odata/body.js';
import { Asset, Job, Task, type EntityTypeDef } from '../odata/edm.js';
import { badRequest, notFound, notImplemented } from '../odata/errors.js';
import { functionParameters } from '../odata/params.js';
import { applyQuery, parseQueryOptions } from '../odata/query/index.js';
import { canonicalId, checkKey } from '../odata/uri.js';
import { COLLECTIONS } from '../model/collections.js';
import { findEntity, mergeValues, readBody } from '../resources/common.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from '../resources/context.js';
import { registerNavigation } from '../resources/navigation.js';
import { registerEntitySet, registerFunction } from '../resources/router.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import { planJob } from './job-request.js';
import { isFinal, stateName } from './job-states.js';
import { buildJob, JOBS, jobKey, readJob, stringList, TASKS, writeJob } from './job-store.js';
import type { JobRunner } from './runner.js';

/**
 * The HTTP side of jobs: POST/GET/MERGE/DELETE Jobs, GET Tasks, CancelJob, and the navigations
 * Jobs('..')/Tasks|InputMediaAssets|OutputMediaAssets and Tasks('..')/InputMediaAssets|OutputMediaAssets.
 * Handlers are registered once per process; each emulator's runner is found from its Services.
 */
const runners = new WeakMap<Services, JobRunner>();

export function attachRunner(services: Services, runner: JobRunner): void {
  runners.set(services, runner);
}

function runnerOf(services: Services): JobRunner {
  const runner = runners.get(services);
  if (!runner) throw notImplemented('Jobs are not running in this emulator instance');
  return runner;
}

let registered = false;

export function registerJobResources(): void {
  if (registered) return;
  registered = true;
  registerEntitySet(Job, { create: createJob, update: updateJob, remove: deleteJob, beforeRead: beforeJobsRead });
  registerEntitySet(Task, { create: refuseTaskCreate, beforeRead: beforeTasksRead });
  registerFunction('CancelJob', cancelJob);
  registerNavigation(Job, 'Tasks', (reader, job) => readJob(reader, jobKey(String(job['Id'])))?.tasks ?? []);
  registerNavigation(Job, 'InputMediaAssets', (reader, job) => assets(reader, job['_inputs']));
  registerNavigation(Job, 'OutputMediaAssets', (reader, job) => assets(reader, job['_outputs']));
  registerNavigation(Task, 'InputMediaAssets', (reader, task) => assets(reader, task['_inputs']));
  registerNavigation(Task, 'OutputMediaAssets', (reader, task) => assets(reader, task['_outputs']));
}

function assets(reader: StoreReader, ids: unknown): JsonRecord[] {
  return stringList(ids).flatMap((id) => {
    const asset = reader.get(COLLECTIONS.Assets, canonicalId(Asset, id));
    return asset ? [asset] : [];
  });
}

/** POST Jobs: the job, its tasks and its (empty) output assets, Queued; 201 with the job. */
async function createJob(req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readEntityBody(req.body, req.contentType, Job, { maxDepth: services.config.limits.maxBodyDepth }, { inline: ['Tasks'] });
  return { kind: 'entity', type: Job, record: await submitJob(services, body), status: 201 };
}

/**
 * Create and start a job from a parsed body whose tasks are in `body.inline` (Tasks). POST Jobs
 * uses it; so can a `$batch` changeset that posts a job and its tasks separately.
 */
export async function submitJob(services: Services, body: EntityBody): Promise<JsonRecord> {
  const runner = runnerOf(services);
  const plan = planJob(body, services.store, services.storage.accountName);
  const made = buildJob(services, plan);
  for (const output of made.outputs) await services.storage.createContainer(output.container);
  try {
    await services.store.transaction((tx) => {
      for (const id of plan.inputAssetIds) {
        if (!tx.has(COLLECTIONS.Assets, canonicalId(Asset, id))) throw badRequest(`The input asset '${id}' no longer exists`);
      }
      for (const output of made.outputs) tx.put(COLLECTIONS.Assets, canonicalId(Asset, output.id), output.record);
      writeJob(tx, made, services.events);
    });
  } catch (err) {
    await Promise.all(made.outputs.map((o) => services.storage.deleteContainer(o.container).catch(() => undefined)));
    throw err;
  }
  runner.submitted(jobKey(String(made.job['Id'])));
  return made.job;
}

/** MERGE Jobs('..'): Name and Priority (what JobData.Update sends); the rest is the server's. */
async function updateJob(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const body = readBody(req, services, Job);
  await services.store.transaction((tx) => {
    const current = findEntity(tx, Job, JOBS, key);
    const next = mergeValues(Job, current, body.values);
    next['LastModified'] = services.now().toISOString();
    tx.put(JOBS, jobKey(String(current['Id'])), next);
  });
  return { kind: 'noContent' };
}

/** DELETE Jobs('..'): a finished, failed or canceled job and its tasks; its output assets stay. */
async function deleteJob(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const runner = runnerOf(services);
  // A malformed id is the client's mistake (400), not something to canonicalise.
  checkKey(Job, key);
  const canonical = canonicalId(Job, key);
  await services.store.transaction((tx) => {
    const job = findEntity(tx, Job, JOBS, key);
    if (!isFinal(job['State'])) {
      throw badRequest(
        `The job '${String(job['Id'])}' is ${stateName(job['State'])}: cancel it first (GET CancelJob?jobid='${encodeURIComponent(String(job['Id']))}') and delete it once it is Canceled`,
      );
    }
    for (const task of stringList(job['_tasks'])) tx.delete(TASKS, task);
    tx.delete(JOBS, canonical);
  });
  runner.forget(canonical);
  return { kind: 'noContent' };
}

/** GET/POST CancelJob?jobid='<percent-encoded id>'; 204. */
async function cancelJob(req: ApiRequest, services: Services): Promise<ApiResult> {
  const runner = runnerOf(services);
  const id = functionParameters(req.rawQuery).get('jobid');
  if (id === undefined || id === '') throw badRequest("CancelJob requires the parameter jobid, e.g. CancelJob?jobid='nb%3Ajid%3AUUID%3A...'");
  const job = findEntity(services.store, Job, JOBS, id);
  const result = await runner.cancel(jobKey(String(job['Id'])));
  if (result.missing) throw notFound(`No Job with Id '${id}' was found`);
  if (result.alreadyFinal !== undefined) {
    throw badRequest(`The job '${String(job['Id'])}' is already ${stateName(result.alreadyFinal)}; only a Queued, Scheduled or Processing job can be canceled`);
  }
  return { kind: 'noContent' };
}

function refuseTaskCreate(): never {
  throw badRequest('Tasks are created with their job: POST Jobs with the tasks inline, e.g. "Tasks":[{"MediaProcessorId":"...","TaskBody":"..."}]');
}

/**
 * Reads of Jobs: GET Jobs('..') and a Jobs query are polls of the jobs they return (polls:N);
 * $count and navigations only wait (immediate mode).
 */
async function beforeJobsRead(req: ApiRequest, services: Services, key: string | undefined): Promise<void> {
  const runner = runnerOf(services);
  const path = req.path;
  if (key !== undefined) {
    const known = existingKey(Job, JOBS, key, services);
    await runner.beforeRead(known ? [known] : [], path.kind === 'entity');
    return;
  }
  if (path.kind === 'collection' && !path.count && services.config.jobProgression.mode === 'polls') {
    // Exactly the jobs this query will list are polled.
    const options = parseQueryOptions(req.rawQuery, Job, { maxTop: services.config.limits.maxPageSize });
    const listed = applyQuery(services.store.values(JOBS), options, Job, services.config.limits.maxPageSize).items;
    await runner.beforeRead(listed.map((j) => jobKey(String(j['Id']))), true);
    return;
  }
  await runner.beforeRead(undefined, false);
}

/** Reads of Tasks wait for the task's job (immediate mode); they are not polls. */
async function beforeTasksRead(_req: ApiRequest, services: Services, key: string | undefined): Promise<void> {
  const runner = runnerOf(services);
  if (key === undefined) {
    await runner.beforeRead(undefined, false);
    return;
  }
  const known = existingKey(Task, TASKS, key, services);
  const task = known ? services.store.get(TASKS, known) : undefined;
  await runner.beforeRead(task ? [jobKey(String(task['_jobId']))] : [], false);
}

/** The stored key of an entity, or undefined (the router answers 400/404 for it). */
function existingKey(type: EntityTypeDef, collection: string, key: string, services: Services): string | undefined {
  try {
    checkKey(type, key);
  } catch {
    return undefined;
  }
  const canonical = canonicalId(type, key);
  return services.store.has(collection, canonical) ? canonical : undefined;
}
