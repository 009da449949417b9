/**
 * README sections generated from the code, so the docs cannot drift from it: the emulator's flags
 * (from the CLI's flag table) and the finding rules (from the one list of rules). `npm run docs`
 * rewrites them; a test fails when the README is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { FLAGS } from '../emulator/src/cli.js';
import { RULES } from '../emulator/src/domain/rules.js';

export function flagsTable(): string {
  const rows = FLAGS.map((f) => `| \`--${f.flag}${f.value ? ` ${f.value}` : ''}\` | \`${f.env}\` | ${f.description} |`);
  return ['| flag | environment variable | meaning |', '|---|---|---|', ...rows].join('\n');
}

export function rulesTable(): string {
  const rows = RULES.map((r) => `| \`${r.id}\` | ${r.severity} | ${r.area} | ${escape(r.description)} | ${escape(r.evidence)} | ${escape(r.fix)} | ${r.strictRefuses ? 'refused' : 'recorded'} |`);
  return ['| rule | severity | area | what it means | the evidence it rests on | how to fix the client | with `--strict` |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

const SECTIONS: Record<string, () => string> = { flags: flagsTable, rules: rulesTable };

/** The README with every generated section replaced by its current content. */
export function renderReadme(readme: string): string {
  let out = readme;
  for (const [name, render] of Object.entries(SECTIONS)) {
    const pattern = new RegExp(`(<!-- ${name}:start -->)[\\s\\S]*?(<!-- ${name}:end -->)`);
    if (!pattern.test(out)) throw new Error(`README.md has no <!-- ${name}:start --> ... <!-- ${name}:end --> section`);
    out = out.replace(pattern, `$1\n${render()}\n$2`);
  }
  return out;
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const path = new URL('../../README.md', import.meta.url);
  const before = readFileSync(path, 'utf8');
  const after = renderReadme(before);
  if (after !== before) writeFileSync(path, after);
  process.stdout.write(after === before ? 'README.md is up to date\n' : 'README.md updated\n');
}
