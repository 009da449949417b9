import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

const SOURCE_DIRS = ['client/src', 'emulator/src', 'conformance/src', 'vectors', 'bench'];

/**
 * Tests that spawn a bin run the built `dist/`. `npm test` builds first; a developer running one
 * file after an edit gets a rebuild here when any emitted .js is missing or older than its .ts.
 * Several test files may ask at once: a lock directory makes one build and the rest wait for it.
 */
export async function ensureBuilt(): Promise<void> {
  if (!isStale()) return;
  const lock = join(REPO, 'dist', '.build-lock');
  mkdirSync(join(REPO, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
      if (!existsSync(lock)) continue;
      if (Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock);
    }
  }
  try {
    if (isStale()) {
      // An incremental build does not re-emit an output that was deleted: start it afresh.
      rmSync(join(REPO, 'dist', '.tsbuildinfo'), { force: true });
      // Someone else's work in progress may have type errors; tsc still emits, which is all we need.
      spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'ignore' });
      // The dashboard's browser code has its own compiler options (DOM, no Node), as in `npm run build`.
      spawnSync('npx', ['tsc', '-p', 'emulator/src/ui/browser/tsconfig.json'], { cwd: REPO, stdio: 'ignore' });
    }
  } finally {
    rmdirSync(lock);
  }
}

function isStale(): boolean {
  for (const dir of SOURCE_DIRS) {
    for (const ts of walk(join(REPO, dir))) {
      const js = join(REPO, 'dist', relative(REPO, ts)).replace(/\.ts$/, '.js');
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(ts).mtimeMs) return true;
    }
  }
  return false;
}

function* walk(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'test' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}
