import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../../test/support/build.js';
import { parseXml, type XmlNode } from '../src/suites/protocol/xml.js';

/** The built `ams-conformance` bin. */
export const CONFORMANCE_BIN = join(REPO, 'dist', 'conformance', 'src', 'cli.js');

/** A built fixture client, by its path under `conformance/src/fixtures/` without `.ts`. */
export function fixture(name: string): string {
  return join(REPO, 'dist', 'conformance', 'src', 'fixtures', `${name}.js`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `ams-conformance` with `args` and collect everything it says. */
export function runBin(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONFORMANCE_BIN, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every element of a parsed document with this local name, depth first. */
export function elements(root: XmlNode, local: string): XmlNode[] {
  const out: XmlNode[] = [];
  const visit = (node: XmlNode): void => {
    if (node.local === local) out.push(node);
    node.children.forEach(visit);
  };
  visit(root);
  return out;
}

export function attr(node: XmlNode, name: string): string | undefined {
  return node.attributes.find((a) => a.local === name)?.value;
}

export { parseXml };
