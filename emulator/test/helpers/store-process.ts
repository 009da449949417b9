import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { buildStoreForChildren, type CompiledStore } from './store-build.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'store-child.mjs');
const racerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lock-racer.mjs');

export interface ChildConfig {
  role: 'writer' | 'holder';
  directory: string;
  compactionMinBytes?: number;
  durability?: 'process' | 'fsync';
  concurrency?: number;
  payloadBytes?: number;
}

export interface StoreChild {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Ids the child printed as acknowledged so far. */
  readonly acked: number[];
  /** Resolves once a stdout line matches. */
  waitFor(predicate: (line: string) => boolean): Promise<void>;
  /** SIGKILL and wait for the exit; returns the stderr seen. */
  kill(): Promise<string>;
}

/** Spawn `store-child.mjs` with the compiled store; see that file for the roles. */
export function spawnStoreChild(compiledStore: string, config: ChildConfig): StoreChild {
  const child = spawn(process.execPath, [childScript, compiledStore, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: number[] = [];
  let stderr = '';
  let partial = '';
  const watchers: Array<{ predicate: (line: string) => boolean; resolve(): void }> = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
      for (const watcher of [...watchers]) {
        if (watcher.predicate(line)) {
          watchers.splice(watchers.indexOf(watcher), 1);
          watcher.resolve();
        }
      }
    }
  });
  return {
    process: child,
    pid: child.pid!,
    acked,
    waitFor(predicate) {
      return new Promise<void>((resolve, reject) => {
        watchers.push({ predicate, resolve });
        void exited.then(() => reject(new Error(`the store child exited before the expected output; stderr: ${stderr}`)));
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      // Let the last stdout chunks arrive: every ack the child wrote before dying counts.
      await new Promise<void>((resolve) => (child.stdout!.readableEnded ? resolve() : child.stdout!.once('end', () => resolve())));
      return stderr;
    },
  };
}

/** A process taking and releasing directory locks on command (see lock-racer.mjs). */
export interface LockRacer {
  readonly pid: number;
  /** Try to take the lock of `dir`: 'held', or the refusal's message. */
  acquire(dir: string): Promise<'held' | string>;
  release(dir: string): Promise<void>;
  kill(): Promise<void>;
}

export function spawnLockRacer(compiledStore: string): LockRacer {
  const child = spawn(process.execPath, [racerScript, compiledStore], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let partial = '';
  const waiting = new Map<string, (answer: string) => void>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const answer of waiting.values()) answer(`exited: ${stderr}`);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      // `<verb> <dir>[ <message>]`: the test's directories have no spaces.
      const [verb = '', dir = '', ...message] = line.split(' ');
      const answer = waiting.get(dir);
      if (answer === undefined) continue;
      waiting.delete(dir);
      answer(verb === 'refused' ? message.join(' ') : verb);
    }
  });
  const ask = (command: string, dir: string) =>
    new Promise<string>((resolve) => {
      if (/\s/.test(dir)) throw new Error(`a racer directory must have no spaces: ${dir}`);
      waiting.set(dir, resolve);
      child.stdin!.write(`${command} ${dir}\n`);
    });
  return {
    pid: child.pid!,
    acquire: (dir) => ask('acquire', dir),
    release: async (dir) => {
      await ask('release', dir);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * For a test file whose stores run in child processes: compiles the store once for the file,
 * and kills every child it spawned (and removes `temp`'s directories) after each test.
 */
export function useStoreChildren(temp: { cleanup(): void }): { spawn(config: ChildConfig): StoreChild; racer(): LockRacer } {
  const children: Array<{ kill(): Promise<unknown> }> = [];
  let compiled: CompiledStore | undefined;
  beforeAll(() => {
    compiled = buildStoreForChildren();
  });
  afterAll(() => compiled?.cleanup());
  afterEach(async () => {
    for (const child of children.splice(0)) await child.kill();
    temp.cleanup();
  });
  return {
    spawn(config) {
      const child = spawnStoreChild(compiled!.entry, config);
      children.push(child);
      return child;
    },
    racer() {
      const racer = spawnLockRacer(compiled!.entry);
      children.push(racer);
      return racer;
    },
  };
}
