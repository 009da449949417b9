/**
 * Compile `emulator/src/store` to plain JS for child processes (crash and lock tests): Node 20
 * cannot run TypeScript, and building the whole package into dist/ would race with the other
 * test files and with other people's half-finished code. Each file is transpiled on its own
 * (no type check: `tsc` does that), into a temp directory keyed by the sources' hash, with a
 * `node_modules` link so that `lowdb` resolves.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const storeSources = path.join(repoRoot, 'emulator/src/store');

/** Absolute path of the compiled `index.js` of the store module. */
export function buildStoreForChildren(): string {
  const files = readdirSync(storeSources)
    .filter((name) => name.endsWith('.ts'))
    .sort();
  const hash = createHash('sha256');
  for (const name of files) hash.update(name).update('\0').update(readFileSync(path.join(storeSources, name))).update('\0');
  const target = path.join(os.tmpdir(), `ams-store-build-${hash.digest('hex').slice(0, 16)}`);
  const entry = path.join(target, 'store/index.js');
  if (existsSync(entry)) return entry;

  const staging = mkdtempSync(path.join(os.tmpdir(), 'ams-store-staging-'));
  mkdirSync(path.join(staging, 'store'));
  for (const name of files) {
    const source = readFileSync(path.join(storeSources, name), 'utf8');
    const output = ts.transpileModule(source, {
      fileName: name,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(path.join(staging, 'store', name.replace(/\.ts$/, '.js')), output.outputText);
  }
  writeFileSync(path.join(staging, 'package.json'), '{"type":"module"}\n');
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(staging, 'node_modules'), 'dir');
  try {
    renameSync(staging, target);
  } catch {
    // Another test worker got there first with the same sources.
    rmSync(staging, { recursive: true, force: true });
  }
  return entry;
}
