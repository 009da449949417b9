import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkVector, type VectorResult } from './checks.js';
import { loadVectorSchemaValidator, type VectorFileValidator } from './schema.js';
import type { VectorBase } from './types.js';

export { checkVector, KNOWN_KINDS, type VectorResult } from './checks.js';

export interface VectorFileResult {
  /** File name, e.g. `nist-sp800-38a-ctr.json`. */
  file: string;
  path: string;
  /** Schema violations, unparsable JSON and duplicate ids: problems of the file, not of one vector. */
  fileErrors: string[];
  /** One entry per element of `vectors`, in file order. */
  results: VectorResult[];
  passed: number;
  failed: number;
}

/**
 * The folder holding schema.json and the vector files. Found from this module's own location so
 * the same code works from the sources (vectors/verify.ts) and from the build (dist/vectors/verify.js).
 */
export const VECTORS_DIR: string = locateVectorsDir(dirname(fileURLToPath(import.meta.url)));

/** `here` itself when it holds schema.json, else the source folder seen from dist/vectors/. */
export function locateVectorsDir(here: string): string {
  if (existsSync(join(here, 'schema.json'))) return here;
  const fromDist = resolve(here, '../../vectors');
  if (existsSync(join(fromDist, 'schema.json'))) return fromDist;
  throw new Error(`vectors/schema.json not found beside ${here} or at ${fromDist}`);
}

/** Every vector file in `dir`: each *.json except the schema, sorted by name. */
export function listVectorFiles(dir: string = VECTORS_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json') && name !== 'schema.json')
    .sort()
    .map((name) => join(dir, name));
}

const validators = new Map<string, VectorFileValidator>();

function validatorFor(dir: string): VectorFileValidator {
  let validator = validators.get(dir);
  if (!validator) {
    validator = loadVectorSchemaValidator(dir);
    validators.set(dir, validator);
  }
  return validator;
}

/** Validate one file against the schema of its folder and check each of its vectors. */
export function verifyVectorFile(path: string): VectorFileResult {
  const file = basename(path);
  const fileErrors: string[] = [];
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return summarise(file, path, [`not readable JSON: ${(err as Error).message}`], []);
  }
  fileErrors.push(...validatorFor(dirname(resolve(path)))(data).map((e) => `schema: ${e}`));
  const vectors = vectorsOf(data);
  const seen = new Set<string>();
  for (const vector of vectors) {
    if (seen.has(vector.id)) fileErrors.push(`duplicate vector id ${JSON.stringify(vector.id)}`);
    seen.add(vector.id);
  }
  return summarise(file, path, fileErrors, vectors.map(checkVector));
}

function vectorsOf(data: unknown): VectorBase[] {
  const vectors = (data as { vectors?: unknown } | null)?.vectors;
  return Array.isArray(vectors) ? (vectors as VectorBase[]) : [];
}

function summarise(file: string, path: string, fileErrors: string[], results: VectorResult[]): VectorFileResult {
  const passed = results.filter((r) => r.passed).length;
  return { file, path, fileErrors, results, passed, failed: results.length - passed };
}

export function verifyAll(dir: string = VECTORS_DIR): VectorFileResult[] {
  return listVectorFiles(dir).map(verifyVectorFile);
}

/** True when every file is valid and every vector passed (and there was something to check). */
export function allPassed(results: readonly VectorFileResult[]): boolean {
  return results.length > 0 && results.every((r) => r.fileErrors.length === 0 && r.failed === 0 && r.results.length > 0);
}

/** The report the script prints: one line per file, its problems indented under it, then a total. */
export function formatReport(results: readonly VectorFileResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.file}: ${r.passed} passed, ${r.failed} failed${r.fileErrors.length ? `, ${r.fileErrors.length} file error(s)` : ''}`);
    for (const error of r.fileErrors) lines.push(`  ${error}`);
    for (const v of r.results) if (!v.passed) lines.push(`  FAIL ${v.id} (${v.kind}): ${v.message ?? ''}`);
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const fileErrors = results.reduce((n, r) => n + r.fileErrors.length, 0);
  lines.push(`total: ${passed} passed, ${failed} failed in ${results.length} files${fileErrors ? `, ${fileErrors} file error(s)` : ''}`);
  return lines.join('\n');
}

function runAsScript(): void {
  const results = verifyAll();
  process.stdout.write(formatReport(results) + '\n');
  process.exitCode = allPassed(results) ? 0 : 1;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) runAsScript();
