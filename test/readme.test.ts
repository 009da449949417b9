import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReadme } from '../scripts/readme-sections.js';

const root = new URL('../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

describe('README.md', () => {
  it('has its generated sections (flags, rules) up to date with the code: run `npm run docs`', () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it('keeps the quick start true: the two commands, and .ci/run runs the README test command', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
    const ci = readFileSync(new URL('.ci/run', root), 'utf8');
    expect(ci).toMatch(/npm ci && npm test/);
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start']).toBeDefined();
    expect(pkg.scripts['test']).toContain('vitest run');
  });

  it('documents every npm run bench:* script there is', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
    for (const script of Object.keys(pkg.scripts).filter((s) => s.startsWith('bench:'))) {
      expect(readme, `README.md does not mention npm run ${script}`).toContain(`npm run ${script}`);
    }
  });
});
