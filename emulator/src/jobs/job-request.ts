import { boundKeys, stringValue, type EntityBody } from '../odata/body.js';
import { Asset } from '../odata/edm.js';
import { badRequest, notFound } from '../odata/errors.js';
import { canonicalId, checkKey, resolveEntityReference } from '../odata/uri.js';
import type { CanonicalValue } from '../odata/values.js';
import { COLLECTIONS } from '../model/collections.js';
import { AssetCreationOptions, enumName } from '../model/enums.js';
import { findProcessor, runnableProcessors, STORAGE_DECRYPTION } from '../model/media-processor.js';
import type { AssetRecord } from '../model/records.js';
import { checkEncoderConfiguration } from './encoders/presets.js';
import type { StoreReader } from '../store/types.js';
import { parseTaskBody, type AssetRef, type OutputSpec } from './task-body.js';
import { findJobTemplate, tasksFromTemplate, taskTemplatesOf } from '../model/job-template.js';

/**
 * A POST Jobs body checked and reduced to what the emulator will run: the input assets, and per
 * task its values and what its TaskBody reads and writes. Every refusal is a 400 or 404 that says
 * what to change; nothing is stored here.
 */
export interface JobPlan {
  values: Map<string, CanonicalValue>;
  /** Stored Ids of the job's input assets, in JobInputAsset order. */
  inputAssetIds: string[];
  tasks: TaskPlan[];
  /** Every output asset of the job, in JobOutputAsset order (0..n-1). */
  outputs: OutputSpec[];
}

export interface TaskPlan {
  values: Map<string, CanonicalValue>;
  inputs: AssetRef[];
  outputs: OutputSpec[];
}

/** The service's limits on a job's size. */
export const MAX_TASKS_PER_JOB = 50;
export const MAX_INPUTS_PER_JOB = 50;

const TASK_OPTION_PROTECTED_CONFIGURATION = 1;
const TASK_OPTIONS_ALL = 1 | 2 | 4;

export function planJob(body: EntityBody, reader: StoreReader, accountName: string): JobPlan {
  const templateId = stringValue(body.values, 'TemplateId');
  for (const binding of body.bindings) {
    if (binding.navigation === 'Tasks') throw badRequest('Tasks cannot be bound by URL: send each new task inline in the job, e.g. "Tasks":[{"MediaProcessorId":"...","TaskBody":"..."}]');
    if (binding.navigation === 'OutputMediaAssets') throw badRequest("A job's output assets are created from each task's <outputAsset> in the TaskBody; do not bind OutputMediaAssets");
  }
  const inputKeys = boundKeys(body, 'InputMediaAssets', Asset, resolveEntityReference);
  if (inputKeys.length === 0) {
    throw badRequest('A job needs at least one input asset: bind InputMediaAssets, e.g. "InputMediaAssets":[{"__metadata":{"uri":"https://<host>/api/Assets(\'nb%3Acid%3AUUID%3A...\')"}}]');
  }
  if (inputKeys.length > MAX_INPUTS_PER_JOB) throw badRequest(`A job has at most ${MAX_INPUTS_PER_JOB} input assets; this one binds ${inputKeys.length}`);
  const inputAssetIds = inputKeys.map((key) => inputAsset(reader, key).Id);

  const inlineTasks = body.inline.filter((i) => i.navigation === 'Tasks').flatMap((i) => i.entries);
  let entries = inlineTasks;
  const values = new Map(body.values);
  if (templateId) {
    // A job made from a JobTemplate (the REST form: Name, InputMediaAssets, TemplateId): the template's tasks.
    if (inlineTasks.length > 0) throw badRequest('A job made from a JobTemplate (TemplateId) takes its tasks from the template: send no Tasks with it');
    const template = findJobTemplate(reader, templateId);
    if (template.NumberofInputAssets > 0 && inputKeys.length !== template.NumberofInputAssets) {
      throw badRequest(`The JobTemplate '${template.Id}' takes ${template.NumberofInputAssets} input asset(s) (NumberofInputAssets); this job binds ${inputKeys.length}`);
    }
    entries = tasksFromTemplate(taskTemplatesOf(reader, template)).map(taskEntry);
    values.set('TemplateId', template.Id);
  }
  if (entries.length === 0) {
    throw badRequest('A job needs at least one task: send them inline, e.g. "Tasks":[{"MediaProcessorId":"' + STORAGE_DECRYPTION.record.Id + '","TaskBody":"<taskBody>...</taskBody>"}]');
  }
  if (entries.length > MAX_TASKS_PER_JOB) throw badRequest(`A job has at most ${MAX_TASKS_PER_JOB} tasks; this one has ${entries.length}`);

  const tasks = entries.map((entry, i) => planTask(entry, `Task ${i + 1}`, accountName));
  const outputs = checkAssetGraph(tasks, inputAssetIds.length);
  return { values, inputAssetIds, tasks, outputs };
}

/** A bound input asset: 400 for a malformed id, 404 for one that names nothing. */
function inputAsset(reader: StoreReader, key: string): AssetRecord {
  checkKey(Asset, key);
  const asset = reader.get<AssetRecord>(COLLECTIONS.Assets, canonicalId(Asset, key));
  if (!asset) throw notFound(`No Asset with Id '${key}' was found`);
  return asset;
}

/** A task's values as the body reader would have given them inline (a task made from a TaskTemplate). */
export function taskEntry(values: Map<string, CanonicalValue>): EntityBody {
  return { values, bindings: [], ignored: [], inline: [] };
}

export function planTask(entry: EntityBody, where: string, accountName: string): TaskPlan {
  if (entry.bindings.length > 0) {
    throw badRequest(`${where}: a task's assets come from its TaskBody (JobInputAsset(n) / JobOutputAsset(n)); do not bind ${entry.bindings[0]!.navigation}`);
  }
  const processorId = stringValue(entry.values, 'MediaProcessorId');
  if (!processorId) throw badRequest(`${where} has no MediaProcessorId: use one of ${runnableProcessors()}`);
  const processor = findProcessor(processorId);
  if (!processor) {
    throw badRequest(`${where}: no media processor has the Id '${clip(processorId)}'; the emulator runs ${runnableProcessors()} (GET MediaProcessors lists every one)`);
  }
  const name = processor.record.Name;
  if (processor.kind === 'listed-only') {
    throw badRequest(`${where}: ${name} (${processor.record.Id}) is listed but not emulated; the emulator runs ${runnableProcessors()}`);
  }
  const decrypts = processor.kind === 'storage-decryption';
  const options = entry.values.get('Options');
  if (typeof options === 'number' && (options & ~TASK_OPTIONS_ALL) !== 0) throw badRequest(`${where}: Options ${options} is not a combination of TaskOptions (0, 1, 2, 4)`);
  if (typeof options === 'number' && (options & TASK_OPTION_PROTECTED_CONFIGURATION) !== 0) {
    if (decrypts) throw badRequest(`${where}: ProtectedConfiguration (Options 1) is not supported: the Storage Decryption processor takes no configuration, send Options 0`);
    throw badRequest(`${where}: ProtectedConfiguration (Options 1) is not emulated: send the preset in clear in Configuration, with Options 0`);
  }
  if (!decrypts) checkEncoderConfiguration(entry.values.get('Configuration'), where, name);
  const taskBody = stringValue(entry.values, 'TaskBody');
  if (!taskBody || taskBody.trim() === '') {
    throw badRequest(`${where} has no TaskBody: send <taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetName="..." assetCreationOptions="0">JobOutputAsset(0)</outputAsset></taskBody>`);
  }
  const body = parseTaskBody(taskBody, where);
  if (body.inputs.length !== 1 || body.outputs.length !== 1) {
    const message = `${where}: the ${name} processor reads exactly one <inputAsset> and writes exactly one <outputAsset> in the emulator; this TaskBody has ${body.inputs.length} and ${body.outputs.length}`;
    throw badRequest(message);
  }
  for (const output of body.outputs) checkOutput(output, where, accountName, decrypts);
  return { values: entry.values, inputs: body.inputs, outputs: body.outputs };
}

function checkOutput(output: OutputSpec, where: string, accountName: string, decrypts: boolean): void {
  const option = enumName(AssetCreationOptions, output.creationOptions);
  if (option === undefined) {
    throw badRequest(`${where}: assetCreationOptions="${output.creationOptions}" is not an AssetCreationOptions value: use 0 (None)`);
  }
  if (output.creationOptions !== AssetCreationOptions.None) {
    if (decrypts) throw badRequest(`${where}: assetCreationOptions="${output.creationOptions}" (${option}) is not supported by the Storage Decryption processor, whose output is clear: use 0 (None)`);
    throw badRequest(`${where}: assetCreationOptions="${output.creationOptions}" (${option}) is not emulated: the emulator's encoders write clear outputs, use 0 (None)`);
  }
  if (output.formatOption !== 0 && output.formatOption !== 1) {
    throw badRequest(`${where}: assetFormatOption="${output.formatOption}" is not an AssetFormatOption value: use 0 (None) or 1 (AdaptiveStreaming)`);
  }
  if (output.storageAccountName !== undefined && output.storageAccountName !== accountName) {
    throw badRequest(`${where}: storageAccountName="${clip(output.storageAccountName)}" is not attached to this account; the emulator's storage account is '${accountName}'`);
  }
}

/**
 * Inputs name the job's inputs or an earlier task's output (a chain); outputs are numbered
 * 0..n-1 across the job, each written by exactly one task.
 */
export function checkAssetGraph(tasks: TaskPlan[], inputCount: number): OutputSpec[] {
  const outputs = new Map<number, { spec: OutputSpec; task: number }>();
  for (const [t, task] of tasks.entries()) {
    for (const output of task.outputs) {
      const other = outputs.get(output.index);
      if (other) throw badRequest(`Task ${t + 1}: JobOutputAsset(${output.index}) is already the output of Task ${other.task + 1}; give each output its own index`);
      outputs.set(output.index, { spec: output, task: t });
    }
  }
  for (let i = 0; i < outputs.size; i++) {
    if (!outputs.has(i)) throw badRequest(`The job's outputs must be numbered JobOutputAsset(0) to JobOutputAsset(${outputs.size - 1}); JobOutputAsset(${i}) is missing`);
  }
  for (const [t, task] of tasks.entries()) {
    for (const input of task.inputs) {
      if (input.kind === 'input' && input.index >= inputCount) {
        throw badRequest(`Task ${t + 1}: JobInputAsset(${input.index}) does not exist; the job binds ${inputCount} input asset${inputCount === 1 ? '' : 's'} (JobInputAsset(0)${inputCount > 1 ? ` to JobInputAsset(${inputCount - 1})` : ''})`);
      }
      if (input.kind === 'output') {
        const producer = outputs.get(input.index);
        if (!producer) throw badRequest(`Task ${t + 1}: JobOutputAsset(${input.index}) is not the output of any task`);
        if (producer.task >= t) throw badRequest(`Task ${t + 1}: JobOutputAsset(${input.index}) is written by Task ${producer.task + 1}, which does not run before it; a task can only read the outputs of earlier tasks`);
      }
    }
  }
  return [...outputs.values()].sort((a, b) => a.spec.index - b.spec.index).map((o) => o.spec);
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
