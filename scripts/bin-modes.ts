/**
 * The last step of `npm run build`: make the package's bins executable. tsc writes its output
 * 0644, and npm sets the execute bit only when it links a package, so after a rebuild (or in an
 * image built with `npm run build`) `ams-client` would be "Permission denied".
 */
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Adds execute permission wherever read permission is (0644 -> 0755); returns the files changed. */
export function setBinModes(repo: string = REPO): string[] {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  return Object.values(pkg.bin ?? {}).map((file) => {
    const path = join(repo, file);
    const mode = statSync(path).mode & 0o777;
    chmodSync(path, mode | ((mode & 0o444) >> 2));
    return file;
  });
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) setBinModes();
