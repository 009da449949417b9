import { JobTemplate, TaskTemplate } from '../odata/edm.js';
import type { CanonicalValue } from '../odata/values.js';
import type { StoreReader, Transaction } from '../store/types.js';
import { COLLECTIONS } from './collections.js';
import { entityLookups } from './entity.js';
import type { JobTemplateRecord, TaskTemplateRecord } from './records.js';

/**
 * What a JobTemplate is (ams-v2-surface.md §6.4): a JobTemplateBody naming, in order, the
 * TaskTemplates created with it; a job made from it (`POST Jobs` with `TemplateId`) gets one task
 * per TaskTemplate in that order. What must hold: `_internal.taskTemplates` lists the keys of the
 * template's TaskTemplates in body order, each naming the template in `_internal.jobTemplateId`;
 * a template and its TaskTemplates are created and deleted together and never updated. Jobs made
 * from a template keep its id in `TemplateId` and do not depend on it: deleting it leaves them.
 * Checking a new template against the processors and the TaskBody rules is `jobs/job-template.ts`'s.
 */
export type { JobTemplateRecord, TaskTemplateRecord } from './records.js';

export interface JobTemplateAndTasks {
  template: JobTemplateRecord;
  taskTemplates: TaskTemplateRecord[];
}

/** Templates by the client's key (400 malformed, 404 unknown) and the store key of an id (any case). */
export const { find: findJobTemplate, key: jobTemplateKey } = entityLookups<JobTemplateRecord>(JobTemplate, COLLECTIONS.JobTemplates);
export const { find: findTaskTemplate, key: taskTemplateKey } = entityLookups<TaskTemplateRecord>(TaskTemplate, COLLECTIONS.TaskTemplates);

/** A template's TaskTemplates in JobTemplateBody order. */
export function taskTemplatesOf(reader: StoreReader, template: JobTemplateRecord): TaskTemplateRecord[] {
  return template._internal.taskTemplates.flatMap((key) => {
    const found = reader.get<TaskTemplateRecord>(COLLECTIONS.TaskTemplates, key);
    return found ? [found] : [];
  });
}

/** Whether a TaskTemplate id is taken (by any template). */
export function taskTemplateExists(reader: StoreReader, id: string): boolean {
  return reader.has(COLLECTIONS.TaskTemplates, taskTemplateKey(id));
}

/** A new template and its TaskTemplates, stored together. */
export function putJobTemplate(tx: Transaction, { template, taskTemplates }: JobTemplateAndTasks): void {
  tx.put(COLLECTIONS.JobTemplates, jobTemplateKey(template.Id), template);
  for (const task of taskTemplates) tx.put(COLLECTIONS.TaskTemplates, taskTemplateKey(task.Id), task);
}

/** A template and its TaskTemplates deleted; jobs made from it stay. */
export function deleteJobTemplate(tx: Transaction, template: JobTemplateRecord): void {
  for (const key of template._internal.taskTemplates) tx.delete(COLLECTIONS.TaskTemplates, key);
  tx.delete(COLLECTIONS.JobTemplates, jobTemplateKey(template.Id));
}

/**
 * The values of the Tasks of a job made from a template: one per TaskTemplate, in the template's order,
 * with its processor, Configuration, Options, Name and encryption fields and its `<taskBody>`.
 */
export function tasksFromTemplate(taskTemplates: readonly TaskTemplateRecord[]): Map<string, CanonicalValue>[] {
  return taskTemplates.map(taskValues);
}

function taskValues(template: TaskTemplateRecord): Map<string, CanonicalValue> {
  const values = new Map<string, CanonicalValue>();
  const copy = ['MediaProcessorId', 'Configuration', 'Name', 'Options', 'EncryptionKeyId', 'EncryptionScheme', 'EncryptionVersion', 'InitializationVector'] as const;
  for (const name of copy) if (template[name] !== null) values.set(name, template[name]);
  values.set('TaskBody', template._internal.taskBody);
  return values;
}
