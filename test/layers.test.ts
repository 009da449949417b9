import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layering the README states is checked by dependency-cruiser (.dependency-cruiser.cjs), so it
 * cannot rot silently: the tree passes with no exception listed, and a new violation fails.
 */
const ROOT = new URL('..', import.meta.url).pathname;
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

function cruise(paths: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(DEPCRUISE, [...paths, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: ROOT });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('the layering', { timeout: 120_000 }, () => {
  it('holds across the tree (npm run check:layers)', async () => {
    const { code, output } = await cruise(['client', 'emulator', 'conformance', 'vectors', 'bench', 'scripts', 'test']);
    expect(output).toMatch(/no dependency violations found/);
    expect(code).toBe(0);
  });

  it('fails on a new violation: a subsystem importing a handler', async () => {
    const dir = join(ROOT, 'emulator', 'src', 'verify', '__layers_probe__');
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(join(dir, 'probe.ts'), "import { filesOfAsset } from '../../resources/files.js';\nexport const probe = filesOfAsset;\n");
      const { code, output } = await cruise([dir]);
      expect(output).toMatch(/subsystems-not-on-handlers: emulator\/src\/verify\/__layers_probe__\/probe\.ts → emulator\/src\/resources\/files\.ts/);
      expect(code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
