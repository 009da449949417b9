import { parseXml, isBlank, qname, type XmlElement } from '../odata/atom/xml-parse.js';
import { badRequest, ODataError } from '../odata/errors.js';

/**
 * A Task's TaskBody, the XML that names what the task reads and writes (ams-v2-reference.md §7):
 *
 *   <taskBody><inputAsset>JobInputAsset(0)</inputAsset>
 *     <outputAsset assetName="Out" assetCreationOptions="0">JobOutputAsset(0)</outputAsset></taskBody>
 *
 * Parsed with the project's hardened XML reader (no DTD, bounded size), so a hostile TaskBody is a
 * 400 like any hostile request body.
 */

/** `JobInputAsset(n)` (the job's n-th input) or `JobOutputAsset(n)` (an earlier task's output, chained). */
export interface AssetRef {
  kind: 'input' | 'output';
  index: number;
}

export interface OutputSpec {
  index: number;
  /** `assetName`; undefined when absent or empty (the .NET SDK leaves it out then). */
  name?: string;
  /** `assetCreationOptions`; 0 when absent. */
  creationOptions: number;
  /** `assetFormatOption`; 0 when absent. */
  formatOption: number;
  storageAccountName?: string;
}

export interface TaskBodyPlan {
  inputs: AssetRef[];
  outputs: OutputSpec[];
}

/** A TaskBody is a few hundred bytes; these keep a hostile one cheap. */
const TASK_BODY_LIMITS = { maxDepth: 4, maxElements: 200, maxAttributes: 16, maxTextLength: 64 * 1024 };
const MAX_INDEX = 999;

/** Parse a TaskBody; `where` names the task in messages (e.g. "Task 1"). Refusals are 400s. */
export function parseTaskBody(text: string, where: string): TaskBodyPlan {
  let root: XmlElement;
  try {
    root = parseXml(withoutDeclaration(text), TASK_BODY_LIMITS);
  } catch (err) {
    if (err instanceof ODataError) throw badRequest(`${where}: the TaskBody is not usable XML: ${err.message.replace(/^The request body/, 'it')}`);
    throw err;
  }
  if (root.local !== 'taskBody') throw badRequest(`${where}: the TaskBody's root element must be <taskBody>, found <${clip(qname(root))}>`);
  if (!isBlank(root.text)) throw badRequest(`${where}: unexpected text directly inside <taskBody>`);
  const plan: TaskBodyPlan = { inputs: [], outputs: [] };
  for (const child of root.children) {
    if (child.local === 'inputAsset') plan.inputs.push(inputRef(child, where));
    else if (child.local === 'outputAsset') plan.outputs.push(outputSpec(child, where));
    else throw badRequest(`${where}: <taskBody> may contain <inputAsset> and <outputAsset>, found <${clip(qname(child))}> (line ${child.line}, column ${child.column})`);
  }
  return plan;
}

/**
 * The task XML is text inside the entity, already decoded: its declaration's encoding says nothing
 * (.NET writes `encoding="utf-16"` because it built the string with a StringWriter).
 */
function withoutDeclaration(text: string): string {
  return text.replace(/^\uFEFF?\s*<\?xml\s[^>]*\?>/, '');
}

function inputRef(element: XmlElement, where: string): AssetRef {
  const text = content(element, where);
  const m = /^Job(Input|Output)Asset\((\d{1,4})\)$/.exec(text);
  if (!m) throw badRequest(`${where}: <inputAsset> must hold JobInputAsset(n) or JobOutputAsset(n), found ${JSON.stringify(clip(text))}`);
  return { kind: m[1] === 'Input' ? 'input' : 'output', index: index(m[2]!, where) };
}

function outputSpec(element: XmlElement, where: string): OutputSpec {
  const text = content(element, where);
  const m = /^JobOutputAsset\((\d{1,4})\)$/.exec(text);
  if (!m) throw badRequest(`${where}: <outputAsset> must hold JobOutputAsset(n), found ${JSON.stringify(clip(text))}`);
  const spec: OutputSpec = {
    index: index(m[1]!, where),
    creationOptions: integerAttribute(element, 'assetCreationOptions', where),
    formatOption: integerAttribute(element, 'assetFormatOption', where),
  };
  const name = attribute(element, 'assetName');
  if (name !== undefined && name !== '') spec.name = name;
  const account = attribute(element, 'storageAccountName');
  if (account !== undefined && account !== '') spec.storageAccountName = account;
  return spec;
}

function content(element: XmlElement, where: string): string {
  if (element.children.length > 0) throw badRequest(`${where}: <${element.local}> holds only text, found <${clip(qname(element.children[0]!))}>`);
  return element.text.trim();
}

function index(digits: string, where: string): number {
  const n = Number(digits);
  if (n > MAX_INDEX) throw badRequest(`${where}: asset index ${digits} is out of range`);
  return n;
}

function attribute(element: XmlElement, local: string): string | undefined {
  return element.attributes.find((a) => a.uri === '' && a.local === local)?.value;
}

function integerAttribute(element: XmlElement, local: string, where: string): number {
  const value = attribute(element, local);
  if (value === undefined || value.trim() === '') return 0;
  if (!/^\s*\d{1,9}\s*$/.test(value)) throw badRequest(`${where}: ${local}="${clip(value)}" on <outputAsset> is not a number`);
  return Number(value);
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
