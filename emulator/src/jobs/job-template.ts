import { formatNbId, parseNbId } from '../../../client/src/crypto/index.js';
import type { Services } from '../app/services.js';
import type { EntityBody } from '../odata/body.js';
import { parseXml, isBlank, qname, type XmlElement } from '../odata/atom/xml-parse.js';
import { badRequest, ODataError } from '../odata/errors.js';
import { numberValue, stringValue } from '../model/entity.js';
import { tasksFromTemplate, taskTemplateExists, taskTemplateKey, type JobTemplateAndTasks, type TaskTemplateRecord } from '../model/job-template.js';
import { checkAssetGraph, planTask, taskEntry, type TaskPlan } from './job-request.js';

/**
 * A POST JobTemplates body made into records, and a template made into a job's tasks.
 *
 * The JobTemplateBody is `<jobTemplate>` with one `<taskBody taskTemplateId="nb:ttid:UUID:…">` per
 * TaskTemplate sent with it (inline, or as `POST $1/TaskTemplates` in the changeset), each a
 * Task's TaskBody plus that attribute (ams-v2-surface.md §6.4). Every TaskTemplate is checked as a
 * task of a job would be (processor, preset, Options, TaskBody, chaining), so a template that
 * could not run is refused when it is created, not at each job.
 */

const TEMPLATE_TYPE_ACCOUNT_LEVEL = 1;
const TEMPLATE_BODY_LIMITS = { maxDepth: 5, maxElements: 2000, maxAttributes: 16, maxTextLength: 64 * 1024 };

export function buildJobTemplate(services: Services, body: EntityBody): JobTemplateAndTasks {
  const templateType = numberValue(body.values, 'TemplateType') ?? TEMPLATE_TYPE_ACCOUNT_LEVEL;
  if (templateType === 0) throw badRequest('TemplateType 0 (SystemLevel) is reserved for Media Services: send TemplateType 1 (AccountLevel)');
  if (templateType !== TEMPLATE_TYPE_ACCOUNT_LEVEL) throw badRequest(`TemplateType ${templateType} is not a JobTemplateType: send 1 (AccountLevel)`);
  const text = stringValue(body.values, 'JobTemplateBody');
  if (!text || text.trim() === '') throw badRequest('A JobTemplate needs a JobTemplateBody: <jobTemplate><taskBody taskTemplateId="nb:ttid:UUID:<guid>"><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody></jobTemplate>');
  for (const binding of body.bindings) throw badRequest(`A JobTemplate's ${binding.navigation} cannot be bound: send its TaskTemplates inline`);
  const entries = body.inline.filter((i) => i.navigation === 'TaskTemplates').flatMap((i) => i.entries);
  if (entries.length === 0) throw badRequest('A JobTemplate needs its TaskTemplates, sent with it: "TaskTemplates":[{"Id":"nb:ttid:UUID:<new guid>","MediaProcessorId":"...","Configuration":"...","NumberofInputAssets":1,"NumberofOutputAssets":1}]');

  const bodies = taskBodies(text);
  if (bodies.length !== entries.length) {
    throw badRequest(`The JobTemplateBody has ${bodies.length} <taskBody> element(s) and ${entries.length} TaskTemplate(s) were sent: each TaskTemplate needs the one <taskBody> whose taskTemplateId is its Id`);
  }
  const byKey = new Map<string, EntityBody>();
  for (const [i, entry] of entries.entries()) {
    const id = stringValue(entry.values, 'Id');
    const where = `TaskTemplate ${i + 1}`;
    if (!id) throw badRequest(`${where} has no Id: a TaskTemplate's Id is the client's, nb:ttid:UUID:<a new guid>, the taskTemplateId of its <taskBody>`);
    const key = templateIdKey(id, where);
    if (byKey.has(key)) throw badRequest(`${where}: the Id '${id}' is sent twice; each TaskTemplate needs its own`);
    if (taskTemplateExists(services.store, id)) throw badRequest(`${where}: a TaskTemplate with the Id '${id}' exists already; TaskTemplate ids are chosen by the client and must be new`);
    byKey.set(key, entry);
  }

  const now = services.now().toISOString();
  const templateId = formatNbId('jtid', services.ids.guid());
  const plans: TaskPlan[] = [];
  const taskTemplates = bodies.map((taskBody, i): TaskTemplateRecord => {
    const where = `<taskBody> ${i + 1} of the JobTemplateBody`;
    const entry = byKey.get(templateIdKey(taskBody.templateId, where));
    if (!entry) throw badRequest(`${where}: taskTemplateId '${taskBody.templateId}' names no TaskTemplate sent with the JobTemplate`);
    byKey.delete(templateIdKey(taskBody.templateId, where));
    const record = taskTemplateRecord(entry, templateId, taskBody.text, now);
    plans.push(planTask(taskEntry(tasksFromTemplate([record])[0]!), `TaskTemplate '${record.Id}'`, services.storage.accountName));
    return record;
  });
  // Chaining as in a job; the job's own inputs are counted when a job is made from the template.
  checkAssetGraph(plans, Number.MAX_SAFE_INTEGER);
  const inputsUsed = Math.max(0, ...plans.flatMap((p) => p.inputs.filter((r) => r.kind === 'input').map((r) => r.index + 1)));
  const numberOfInputs = numberValue(body.values, 'NumberofInputAssets') ?? inputsUsed;
  if (numberOfInputs < inputsUsed) throw badRequest(`NumberofInputAssets is ${numberOfInputs}, but the JobTemplateBody reads JobInputAsset(${inputsUsed - 1})`);
  return {
    template: {
      Id: templateId,
      Name: stringValue(body.values, 'Name') ?? null,
      Created: now,
      LastModified: now,
      JobTemplateBody: text,
      NumberofInputAssets: numberOfInputs,
      TemplateType: templateType,
      _internal: { taskTemplates: taskTemplates.map((t) => taskTemplateKey(t.Id)) },
    },
    taskTemplates,
  };
}

function taskTemplateRecord(entry: EntityBody, jobTemplateId: string, taskBody: string, now: string): TaskTemplateRecord {
  const text = (name: string) => stringValue(entry.values, name) ?? null;
  return {
    Id: stringValue(entry.values, 'Id')!,
    Configuration: text('Configuration'),
    Created: now,
    Description: text('Description'),
    LastModified: now,
    MediaProcessorId: text('MediaProcessorId'),
    Name: text('Name'),
    NumberofInputAssets: numberValue(entry.values, 'NumberofInputAssets') ?? 1,
    NumberofOutputAssets: numberValue(entry.values, 'NumberofOutputAssets') ?? 1,
    Options: numberValue(entry.values, 'Options') ?? 0,
    EncryptionKeyId: text('EncryptionKeyId'),
    EncryptionScheme: text('EncryptionScheme'),
    EncryptionVersion: text('EncryptionVersion'),
    InitializationVector: text('InitializationVector'),
    _internal: { jobTemplateId, taskBody },
  };
}

/** The canonical key of a taskTemplateId; 400 when it is not nb:ttid:UUID:<guid>. */
function templateIdKey(id: string, where: string): string {
  try {
    parseNbId(id, 'ttid');
  } catch {
    throw badRequest(`${where}: '${clip(id)}' is not a TaskTemplate id: nb:ttid:UUID:<guid>`);
  }
  return taskTemplateKey(id);
}

/** Each `<taskBody>` of a JobTemplateBody: its taskTemplateId and the TaskBody it is without it. */
function taskBodies(text: string): { templateId: string; text: string }[] {
  let root: XmlElement;
  try {
    root = parseXml(text.replace(/^\uFEFF?\s*<\?xml\s[^>]*\?>/, ''), TEMPLATE_BODY_LIMITS);
  } catch (err) {
    if (err instanceof ODataError) throw badRequest(`The JobTemplateBody is not usable XML: ${err.message.replace(/^The request body/, 'it')}`);
    throw err;
  }
  if (root.local !== 'jobTemplate') throw badRequest(`The JobTemplateBody's root element must be <jobTemplate>, found <${clip(qname(root))}>`);
  if (!isBlank(root.text)) throw badRequest('Unexpected text directly inside <jobTemplate>');
  return root.children.map((child, i) => {
    if (child.local !== 'taskBody') throw badRequest(`<jobTemplate> holds <taskBody> elements only, found <${clip(qname(child))}>`);
    // Both spellings, as the reference page says ("TaskTemplateId (or taskTemplateId)").
    const id = child.attributes.find((a) => a.uri === '' && (a.local === 'taskTemplateId' || a.local === 'TaskTemplateId'))?.value;
    if (!id) throw badRequest(`<taskBody> ${i + 1} of the JobTemplateBody has no taskTemplateId attribute`);
    return { templateId: id, text: serialize({ ...child, attributes: child.attributes.filter((a) => a.local !== 'taskTemplateId' && a.local !== 'TaskTemplateId') }) };
  });
}

/** An element back to XML text (a `<taskBody>` and its leaf children). */
function serialize(element: XmlElement): string {
  const attributes = element.attributes.map((a) => ` ${a.prefix ? `${a.prefix}:` : ''}${a.local}="${escape(a.value)}"`).join('');
  const name = qname(element);
  return `<${name}${attributes}>${escape(element.text.trim())}${element.children.map(serialize).join('')}</${name}>`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

