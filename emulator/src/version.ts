import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (two levels above emulator/src and dist/emulator/src). */
export const EMULATOR_NAME = 'ams-v2-emulator';
export const EMULATOR_VERSION: string = readVersion();

function readVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === EMULATOR_NAME && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}
