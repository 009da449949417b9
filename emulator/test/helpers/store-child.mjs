// A separate process for the store tests: `node store-child.mjs <compiled index.js> <json config>`.
//
// role "writer": commit transactions forever, `concurrency` at a time, printing `ack <i>` once
// transaction i is acknowledged, until killed. Transaction i puts items/<i>, sets meta/counter to
// {n: i + 1} and, when i % 3 === 2, deletes items/<i - 1>. So a state reached by applying
// transactions 0..n-1 in order is fully determined by n (see expectedItems in the tests).
// role "holder": open the store, print `ready`, and keep it open until killed.
import { pathToFileURL } from 'node:url';

const [modulePath, configText] = process.argv.slice(2);
const config = JSON.parse(configText);
const { openStore } = await import(pathToFileURL(modulePath).href);

const store = await openStore({
  directory: config.directory,
  compactionMinBytes: config.compactionMinBytes,
  durability: config.durability,
});

if (config.role === 'holder') {
  process.stdout.write('ready\n');
  setInterval(() => undefined, 60_000);
} else {
  const pad = 'x'.repeat(config.payloadBytes ?? 100);
  let next = store.get('meta', 'counter')?.n ?? 0;
  const commit = (i) =>
    store.transaction((tx) => {
      tx.put('items', String(i), { i, pad });
      tx.put('meta', 'counter', { n: i + 1 });
      if (i % 3 === 2) tx.delete('items', String(i - 1));
    });
  const worker = async () => {
    for (;;) {
      const i = next++;
      await commit(i);
      process.stdout.write(`ack ${i}\n`);
    }
  };
  await Promise.all(Array.from({ length: config.concurrency ?? 8 }, worker));
}
