import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';

/** Validates parsed vector files against `schema.json`; returns readable errors, none when valid. */
export type VectorFileValidator = (data: unknown) => string[];

// ajv is CommonJS: under NodeNext the default import is `module.exports`, whose `default` is the class.
const Ajv2020 = Ajv2020Module.default;

export function loadVectorSchemaValidator(vectorsDir: string): VectorFileValidator {
  const schema = JSON.parse(readFileSync(join(vectorsDir, 'schema.json'), 'utf8')) as object;
  // strictRequired/strictTypes would reject the standard if/then idiom the schema uses.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false });
  const validate: ValidateFunction = ajv.compile(schema);
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map(describeError));
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(file)' : error.instancePath;
  const params = error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties'
    ? `: ${JSON.stringify(error.params)}`
    : error.keyword === 'enum' ? `: ${JSON.stringify((error.params as { allowedValues: unknown }).allowedValues)}` : '';
  return `${where} ${error.message ?? error.keyword}${params}`;
}
