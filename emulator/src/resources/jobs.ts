import { readEntityBody } from '../odata/body.js';
import { Asset, Job, Task, type EntityTypeDef } from '../odata/edm.js';
import { badRequest, notFound } from '../odata/errors.js';
import { functionParameters } from '../odata/params.js';
import { applyQuery, parseQueryOptions } from '../odata/query/index.js';
import { canonicalId, checkKey } from '../odata/uri.js';
import { COLLECTIONS } from '../model/collections.js';
import { allJobs, deleteJob, findTask, jobKey, readJob, stateName, writeJob, type JobRecord } from '../model/job.js';
import type { AssetRecord } from '../model/records.js';
import type { TaskRecord } from '../model/task.js';
import type { Services } from '../app/services.js';
import { buildJob } from '../jobs/job-store.js';
import { planJob } from '../jobs/job-request.js';
import type { JobRunner } from '../jobs/runner.js';
import type { StoreReader } from '../store/types.js';
import { findEntity, mergeValues } from '../model/entity.js';
import { entitySet, type EntityCall } from './entity-set.js';
import type { ApiRequest, ApiResult } from './context.js';
import type { ApiRoutes } from './router.js';

/**
 * The HTTP side of jobs: POST/GET/MERGE/DELETE Jobs, GET Tasks, CancelJob, and the navigations
 * Jobs('..')/Tasks|InputMediaAssets|OutputMediaAssets and Tasks('..')/InputMediaAssets|OutputMediaAssets,
 * for the emulator whose `runner` moves the jobs on.
 */
export function jobRoutes(runner: JobRunner): ApiRoutes {
  return {
    sets: [
      entitySet(Job, { update: updateJob, remove: ({ services }, key) => removeJob(runner, services, key) }, {
        create: (req, services) => createJob(runner, req, services),
        beforeRead: (req, services, key) => beforeJobsRead(runner, req, services, key),
      }),
      entitySet(Task, {}, { create: refuseTaskCreate, beforeRead: (_req, services, key) => beforeTasksRead(runner, services, key) }),
    ],
    functions: [{ name: 'CancelJob', handler: (req, services) => cancelJob(runner, req, services) }],
    navigations: [
      { type: Job, nav: 'Tasks', resolve: (reader, job) => readJob(reader, jobKey((job as JobRecord).Id))?.tasks ?? [] },
      { type: Job, nav: 'InputMediaAssets', resolve: (reader, job) => assets(reader, (job as JobRecord)._internal.inputs) },
      { type: Job, nav: 'OutputMediaAssets', resolve: (reader, job) => assets(reader, (job as JobRecord)._internal.outputs) },
      { type: Task, nav: 'InputMediaAssets', resolve: (reader, task) => assets(reader, (task as TaskRecord)._internal.inputs) },
      { type: Task, nav: 'OutputMediaAssets', resolve: (reader, task) => assets(reader, (task as TaskRecord)._internal.outputs) },
    ],
  };
}

function assets(reader: StoreReader, ids: readonly string[]): AssetRecord[] {
  return ids.flatMap((id) => {
    const asset = reader.get<AssetRecord>(COLLECTIONS.Assets, canonicalId(Asset, id));
    return asset ? [asset] : [];
  });
}

/** POST Jobs: the job, its tasks and its (empty) output assets, Queued; 201 with the job. */
async function createJob(runner: JobRunner, req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readEntityBody(req.body, req.contentType, Job, { maxDepth: services.config.limits.maxBodyDepth }, { inline: ['Tasks'] });
  const plan = planJob(body, services.store, services.storage.accountName);
  const made = buildJob(services, plan);
  for (const output of made.outputs) await services.storage.createContainer(output._internal.container);
  try {
    await services.store.transaction((tx) => {
      for (const id of plan.inputAssetIds) {
        if (!tx.has(COLLECTIONS.Assets, canonicalId(Asset, id))) throw badRequest(`The input asset '${id}' no longer exists`);
      }
      for (const output of made.outputs) tx.put(COLLECTIONS.Assets, canonicalId(Asset, output.Id), output);
      writeJob(tx, made, services.events);
    });
  } catch (err) {
    await Promise.all(made.outputs.map((o) => services.storage.deleteContainer(o._internal.container).catch(() => undefined)));
    throw err;
  }
  runner.submitted(jobKey(made.job.Id));
  return { kind: 'entity', type: Job, record: made.job, status: 201 };
}

/** MERGE Jobs('..'): Name and Priority (what JobData.Update sends); the rest is the server's. */
function updateJob({ services, values }: EntityCall, key: string): Promise<void> {
  return services.store.transaction((tx) => {
    const current = findEntity<JobRecord>(tx, Job, COLLECTIONS.Jobs, key);
    // mergeValues applies only declared, updatable properties: the result is still a job.
    const next = { ...(mergeValues(Job, current, values) as JobRecord), LastModified: services.now().toISOString() };
    tx.put(COLLECTIONS.Jobs, jobKey(current.Id), next);
  });
}

/** DELETE Jobs('..'): a finished, failed or canceled job and its tasks; its output assets stay. */
async function removeJob(runner: JobRunner, services: Services, key: string): Promise<void> {
  const deleted = await services.store.transaction((tx) => deleteJob(tx, findEntity<JobRecord>(tx, Job, COLLECTIONS.Jobs, key)));
  runner.forget(deleted);
}

/** GET/POST CancelJob?jobid='<percent-encoded id>'; 204. */
async function cancelJob(runner: JobRunner, req: ApiRequest, services: Services): Promise<ApiResult> {
  const id = functionParameters(req.rawQuery).get('jobid');
  if (id === undefined || id === '') throw badRequest("CancelJob requires the parameter jobid, e.g. CancelJob?jobid='nb%3Ajid%3AUUID%3A...'");
  const job = findEntity<JobRecord>(services.store, Job, COLLECTIONS.Jobs, id);
  const result = await runner.cancel(jobKey(job.Id), { atOnce: req.undo === true });
  if (result.missing) throw notFound(`No Job with Id '${id}' was found`);
  if (result.notCancelable !== undefined) {
    throw badRequest(`The job '${job.Id}' is already ${stateName(result.notCancelable)}; only a Queued, Scheduled or Processing job can be canceled`);
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
async function beforeJobsRead(runner: JobRunner, req: ApiRequest, services: Services, key: string | undefined): Promise<void> {
  const path = req.path;
  if (key !== undefined) {
    const known = existingKey(Job, COLLECTIONS.Jobs, key, services);
    await runner.beforeRead(known ? [known] : [], path.kind === 'entity');
    return;
  }
  if (path.kind === 'collection' && !path.count && services.config.jobProgression.mode === 'polls') {
    // Exactly the jobs this query will list are polled.
    const options = parseQueryOptions(req.rawQuery, Job, { maxTop: services.config.limits.maxPageSize });
    const listed = applyQuery(allJobs(services.store), options, Job, services.config.limits.maxPageSize).items;
    await runner.beforeRead(listed.map((j) => jobKey(j.Id)), true);
    return;
  }
  await runner.beforeRead(undefined, false);
}

/** Reads of Tasks wait for the task's job (immediate mode); they are not polls. */
async function beforeTasksRead(runner: JobRunner, services: Services, key: string | undefined): Promise<void> {
  if (key === undefined) {
    await runner.beforeRead(undefined, false);
    return;
  }
  const known = existingKey(Task, COLLECTIONS.Tasks, key, services);
  const task = known ? findTask(services.store, known) : undefined;
  await runner.beforeRead(task ? [jobKey(task._internal.jobId)] : [], false);
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

