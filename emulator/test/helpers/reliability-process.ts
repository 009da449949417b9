/**
 * The built `ams-emulator` bin as a child process, for tests that must kill it (`kill -9`) or keep
 * its event loop apart from the test's clients: start it on a data directory, talk to it, kill it.
 */
import { existsSync } from 'node:fs';
import { ensureBuilt } from '../../../test/support/build.js';
import { amsCaller, type AmsCaller } from '../../../test/support/emulator.js';
import { bannerField, CLI, runCli, type CliRun } from './api-cli.js';

export interface EmulatorProcessOptions {
  /** The data directory (file mode). */
  location: string;
  /** An Azurite the test controls; undefined = the embedded one on a free port. */
  storageConnectionString?: string;
  strict?: boolean;
}

export interface EmulatorProcess {
  readonly pid: number;
  /** The API root, ending in `/api/`. */
  readonly url: string;
  /** The emulator root, ending in `/`. */
  readonly baseUrl: string;
  readonly ams: AmsCaller;
  /** SIGKILL: no handler runs, nothing is flushed or closed. */
  kill9(): Promise<void>;
  /** SIGTERM and wait: the clean shutdown. */
  stop(): Promise<void>;
  stderr(): string;
}

/** Build dist/ if a source changed, then start the bin and wait for its banner. */
export async function startEmulatorProcess(options: EmulatorProcessOptions): Promise<EmulatorProcess> {
  await ensureBuilt();
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: the build did not produce the bin`);
  const args = ['--port', '0', '--azurite-port', '0', '--location', options.location, '--silent'];
  if (options.storageConnectionString !== undefined) args.push('--storage-connection-string', options.storageConnectionString);
  if (options.strict) args.push('--strict');
  const run = runCli(args);
  const banner = await run.banner();
  const url = bannerField(banner, 'API');
  return wrap(run, url);
}

function wrap(run: CliRun, url: string): EmulatorProcess {
  return {
    pid: run.child.pid!,
    url,
    baseUrl: url.replace(/api\/$/, ''),
    ams: amsCaller(url),
    async kill9() {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
      await run.exited;
    },
    async stop() {
      const { code, signal } = await run.stop();
      if (code !== 0 && signal !== 'SIGKILL') throw new Error(`ams-emulator exited with ${code ?? signal}; stderr: ${run.stderr()}`);
    },
    stderr: () => run.stderr(),
  };
}
