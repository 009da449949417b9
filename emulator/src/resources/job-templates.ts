import { readEntityBody } from '../odata/body.js';
import { JobTemplate, TaskTemplate } from '../odata/edm.js';
import { badRequest } from '../odata/errors.js';
import { COLLECTIONS } from '../model/collections.js';
import { deleteJobTemplate, findJobTemplate, findTaskTemplate, putJobTemplate, taskTemplatesOf, type JobTemplateRecord } from '../model/job-template.js';
import type { Services } from '../app/services.js';
import { buildJobTemplate } from '../jobs/job-template.js';
import type { ApiRequest, ApiResult } from './context.js';
import { entitySet } from './entity-set.js';
import type { ApiRoutes } from './router.js';

/**
 * JobTemplates and TaskTemplates (ams-v2-surface.md §6.4): POST/GET/DELETE JobTemplates with their
 * TaskTemplates inline (or `POST $1/TaskTemplates` in the same changeset, which `$batch` folds in),
 * `JobTemplates('..')/TaskTemplates`, GET TaskTemplates. Neither is ever updated: the service said
 * "create a new one", and a TaskTemplate lives and dies with its JobTemplate.
 */
export const TEMPLATE_ROUTES: ApiRoutes = {
  sets: [
    // The create reads TaskTemplates inline, which the factory's body read does not: its own handler.
    entitySet(JobTemplate, { remove: ({ services }, key) => services.store.transaction((tx) => deleteJobTemplate(tx, findJobTemplate(tx, key))) }, { create: createJobTemplate, update: refuseJobTemplateUpdate }),
    entitySet(TaskTemplate, {}, { create: refuseTaskTemplateCreate, update: refuseTaskTemplateChange, remove: refuseTaskTemplateChange }),
  ],
  functions: [],
  navigations: [{ type: JobTemplate, nav: 'TaskTemplates', resolve: (reader, template) => taskTemplatesOf(reader, template as JobTemplateRecord) }],
};

/** POST JobTemplates: the template and its TaskTemplates, checked as a job's tasks would be; 201. */
async function createJobTemplate(req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readEntityBody(req.body, req.contentType, JobTemplate, { maxDepth: services.config.limits.maxBodyDepth }, { inline: ['TaskTemplates'] });
  const made = buildJobTemplate(services, body);
  await services.store.transaction((tx) => {
    // Checked again inside the transaction: a concurrent template may have taken an id since.
    for (const [i, key] of made.template._internal.taskTemplates.entries()) {
      if (tx.has(COLLECTIONS.TaskTemplates, key)) throw badRequest(`A TaskTemplate with the Id '${made.taskTemplates[i]!.Id}' exists already; TaskTemplate ids are chosen by the client and must be new`);
    }
    putJobTemplate(tx, made);
  });
  return { kind: 'entity', type: JobTemplate, record: made.template, status: 201 };
}

async function refuseJobTemplateUpdate(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  findJobTemplate(services.store, key);
  throw badRequest('A JobTemplate cannot be updated: create a new one with the changes (and delete this one)');
}

function refuseTaskTemplateCreate(): never {
  throw badRequest('TaskTemplates are created with their JobTemplate: POST JobTemplates with "TaskTemplates":[{"Id":"nb:ttid:UUID:<new guid>",...}] inline');
}

async function refuseTaskTemplateChange(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  findTaskTemplate(services.store, key);
  throw badRequest('A TaskTemplate belongs to its JobTemplate and cannot be changed or deleted on its own: delete the JobTemplate (its TaskTemplates go with it) and create a new one');
}
