// A separate process for the lock race tests: `node lock-racer.mjs <compiled store index.js>`.
// Reads commands from stdin, one a line, and answers each on stdout:
//   acquire <dir>  ->  `held <dir>`, or `refused <dir> <reason>` (the lock's own message)
//   release <dir>  ->  `released <dir>`
// Many rounds run in one process, so a round costs file I/O only and all racers start it together.
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const [modulePath] = process.argv.slice(2);
const { DirectoryLock } = await import(pathToFileURL(path.join(path.dirname(modulePath), 'lock.js')).href);

const held = new Map();
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, dir] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
  if (command === 'acquire') {
    DirectoryLock.acquire(dir).then(
      (lock) => {
        held.set(dir, lock);
        process.stdout.write(`held ${dir}\n`);
      },
      (error) => process.stdout.write(`refused ${dir} ${String(error?.message ?? error).replace(/\n/g, ' ')}\n`),
    );
  } else if (command === 'release') {
    const lock = held.get(dir);
    held.delete(dir);
    void Promise.resolve(lock?.release()).then(() => process.stdout.write(`released ${dir}\n`));
  }
});
