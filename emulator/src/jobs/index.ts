import type { Services } from '../app/services.js';
import { attachRunner, registerJobResources } from './job-resources.js';
import { JobRunner, type JobRunnerOptions } from './runner.js';

/** The Storage Decryption jobs of one emulator: stop it with the emulator, abort its work on reset. */
export interface JobService {
  /** Abort running work and wait for it; jobs stay in the store and resume at the next start. */
  stop(): Promise<void>;
  /** Abort running work before the state is cleared. */
  abortAll(): Promise<void>;
}

/**
 * Serve Jobs, Tasks and CancelJob for these services and resume the jobs the store holds from a
 * previous run (call once storage is reachable).
 */
export async function startJobs(services: Services, options: JobRunnerOptions): Promise<JobService> {
  registerJobResources();
  const runner = new JobRunner(services, options);
  attachRunner(services, runner);
  await runner.resume();
  return { stop: () => runner.stop(), abortAll: () => runner.abortAll() };
}

export { submitJob } from './job-resources.js';
export { JobState } from './job-states.js';
