import { parentPort } from 'node:worker_threads';
import { SharedClock } from './SharedClock.js';
import { Slab } from './Slab.js';

/** The ticker thread: refreshes the real clock of every slab it was given, about once a millisecond. */
const clocks = new Map<SharedArrayBuffer, SharedClock>();

parentPort?.on('message', (message: { op: 'add' | 'remove'; buffer: SharedArrayBuffer }) => {
  if (message.op === 'add') clocks.set(message.buffer, new SharedClock(Slab.attach(message.buffer)));
  else clocks.delete(message.buffer);
});

setInterval(() => {
  for (const clock of clocks.values()) clock.refresh();
}, 1);
parentPort?.postMessage('ready');
