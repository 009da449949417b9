/**
 * Compile `emulator/src/store` to plain JS for child processes (crash and lock tests): Node 20
 * cannot run TypeScript, and building the whole package into dist/ would race with the other
 * test files and with other people's half-finished code. Each file is transpiled on its own
 * (no type check: `tsc` does that) into a temp directory with a `node_modules` link so that
 * `lowdb` resolves.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const storeSources = path.join(repoRoot, 'emulator/src/store');

export interface CompiledStore {
  /** Absolute path of the compiled `index.js`. */
  readonly entry: string;
  /** Remove the temp directory. */
  cleanup(): void;
}

export function buildStoreForChildren(): CompiledStore {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ams-store-build-'));
  mkdirSync(path.join(root, 'store'));
  for (const name of readdirSync(storeSources).filter((file) => file.endsWith('.ts'))) {
    const source = readFileSync(path.join(storeSources, name), 'utf8');
    const output = ts.transpileModule(source, {
      fileName: name,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(path.join(root, 'store', name.replace(/\.ts$/, '.js')), output.outputText);
  }
  writeFileSync(path.join(root, 'package.json'), '{"type":"module"}\n');
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return {
    entry: path.join(root, 'store/index.js'),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
