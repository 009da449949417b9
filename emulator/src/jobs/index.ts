import type { Services } from '../app/services.js';
import { JobRunner, type JobRunnerOptions } from './runner.js';

/** The Storage Decryption jobs of one emulator: stop it with the emulator, abort its work on reset. */
export interface JobService {
  /** What moves this emulator's jobs on; its HTTP routes (`resources/jobs.ts`) are built on it. */
  runner: JobRunner;
  /** Abort running work and wait for it; jobs stay in the store and resume at the next start. */
  stop(): Promise<void>;
  /** Abort running work before the state is cleared. */
  abortAll(): Promise<void>;
}

/** Resume the jobs the store holds from a previous run (call once storage is reachable). */
export async function startJobs(services: Services, options: JobRunnerOptions): Promise<JobService> {
  const runner = new JobRunner(services, options);
  await runner.resume();
  return { runner, stop: () => runner.stop(), abortAll: () => runner.abortAll() };
}
