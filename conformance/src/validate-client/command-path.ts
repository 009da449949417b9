import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/**
 * Whether `command` can be run: a path must name an executable file, a bare name must be one on
 * PATH. Checked before an emulator is started for it, so a typo fails at once and says so.
 */
export async function findCommand(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (command.includes('/') || command.includes('\\')) return (await isExecutable(command)) ? command : undefined;
  for (const dir of (env['PATH'] ?? '').split(delimiter).filter((d) => d !== '')) {
    const candidate = join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
