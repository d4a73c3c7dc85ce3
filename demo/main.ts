import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import logUpdate from 'log-update';
import pc from 'picocolors';
import { BREAKER_STATE_NAMES, type BreakerStateValue, PolicyPresets, ResilienceService, startCoordinator } from '../src/index.js';
import { createResilientPool } from '../src/piscina.js';
import { DemoCacheServer } from './cacheServer.js';
import { DEMO_CACHE_POLICY, type DemoAction, type DemoOutcome } from './task.js';

const HELP = `npm run demo -- [options]

A simulated parallel build on a piscina pool: every action reads and writes a remote HTTP cache and
reports to a coordinator that runs a command for it, all through one ResilienceService shared by
every worker thread. By default the demo starts its own servers on 127.0.0.1 (two cache servers
and a coordinator) and injects faults: cache-1 goes down for a while and comes back, cache-2
becomes slower than the calls' timeout for a while.

  --workers N        pool threads (default: one per core)
  --actions N        actions to build (default 900)
  --pace N           actions started per second (default 45)
  --down A-B         seconds during which cache-1 refuses connections (default 4-9)
  --slow A-B         seconds during which cache-2 answers in 400 ms (default 12-15)
  --cache-url URL    use this cache server instead of the embedded ones (repeat for two);
                     no faults are injected into servers you point at
  --plain            periodic plain lines even on a terminal (the default when stdout is not one)
  --help             this text`;

const { values } = parseArgs({
  options: {
    workers: { type: 'string' },
    actions: { type: 'string' },
    pace: { type: 'string' },
    down: { type: 'string' },
    slow: { type: 'string' },
    'cache-url': { type: 'string', multiple: true },
    plain: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (values.help === true) {
  console.log(HELP);
  process.exit(0);
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`--${name}: expected a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

function span(name: string, raw: string | undefined, fallback: readonly [number, number]): readonly [number, number] {
  if (raw === undefined) return [fallback[0] * 1000, fallback[1] * 1000];
  const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(raw);
  if (m === null || Number(m[1]) >= Number(m[2])) throw new RangeError(`--${name}: expected seconds as A-B with A < B, got ${JSON.stringify(raw)}`);
  return [Number(m[1]) * 1000, Number(m[2]) * 1000];
}

const workers = Math.floor(positive('workers', values.workers, availableParallelism()));
const total = Math.floor(positive('actions', values.actions, 900));
const pace = positive('pace', values.pace, 45);
const down = span('down', values.down, [4, 9]);
const slow = span('slow', values.slow, [12, 15]);
const externalCaches = values['cache-url'] ?? [];
for (const url of externalCaches) {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new RangeError(`--cache-url: expected an http(s) URL, got ${JSON.stringify(url)}`);
}
const plain = values.plain === true || !process.stdout.isTTY;

// ---- servers ---------------------------------------------------------------------------------
const embedded = externalCaches.length === 0 ? [new DemoCacheServer(), new DemoCacheServer()] : [];
for (const server of embedded) await server.up();
const cacheUrls = externalCaches.length > 0 ? externalCaches : embedded.map((s) => s.url);
const coordinator = await startCoordinator({ maxConcurrent: 8 });
const workDir = mkdtempSync(join(tmpdir(), 'resilience-demo-'));

// ---- the shared service ----------------------------------------------------------------------
const resilience = new ResilienceService(PolicyPresets.standard(), { env: false });
const labels = new Map<string, string>();
cacheUrls.forEach((url, i) => {
  const endpoint = `cache:${new URL(url).origin}`;
  resilience.registerEndpoint(endpoint, DEMO_CACHE_POLICY);
  labels.set(endpoint, `cache-${i + 1}`);
});
labels.set(`coordinator:${new URL(coordinator.url).origin}`, 'coordinator');
const label = (endpoint: string): string => labels.get(endpoint) ?? endpoint;

let start = resilience.clock.now();
const elapsedMs = (): number => {
  resilience.clock.refresh();
  return resilience.clock.now() - start;
};
const stamp = (): string => `${(elapsedMs() / 1000).toFixed(1).padStart(5)}s`;
const events: string[] = [];
const say = (line: string): void => {
  events.push(line);
  if (plain) console.log(line);
};
const COLOUR: Record<string, (s: string) => string> = { CLOSED: pc.green, OPEN: pc.red, HALF_OPEN: pc.yellow };
const stateName = (state: BreakerStateValue): string => BREAKER_STATE_NAMES[state];
resilience.onStateChange(({ endpoint, from, to }) => {
  say(`${stamp()}  ${label(endpoint)}: circuit ${stateName(from)} -> ${stateName(to)}`);
});

// ---- the pool, warmed up so the schedule starts with every worker ready ---------------------------
const pool = createResilientPool(resilience, {
  filename: new URL('./bootstrap.mjs', import.meta.url).href,
  minThreads: workers,
  maxThreads: workers,
});
await Promise.all(
  Array.from({ length: workers }, () => pool.run({ index: -1, cacheUrls, coordinatorUrl: coordinator.url, workDir } satisfies DemoAction)),
);
resilience.clock.refresh();
start = resilience.clock.now();

// ---- faults ----------------------------------------------------------------------------------
const [cache1, cache2] = embedded;
const faultTimers: NodeJS.Timeout[] = [];
function at(ms: number, action: () => Promise<void> | void): void {
  faultTimers.push(setTimeout(() => void action(), ms));
}
if (cache1 !== undefined) {
  at(down[0], async () => {
    await cache1.down();
    say(`${stamp()}  fault: cache-1 is down`);
  });
  at(down[1], async () => {
    await cache1.up();
    say(`${stamp()}  fault: cache-1 is back`);
  });
}
if (cache2 !== undefined) {
  at(slow[0], () => {
    cache2.slow(400);
    say(`${stamp()}  fault: cache-2 answers in 400 ms (calls time out at 150 ms)`);
  });
  at(slow[1], () => {
    cache2.slow(0);
    say(`${stamp()}  fault: cache-2 is fast again`);
  });
}

// ---- the build -------------------------------------------------------------------------------
let done = 0;
let hits = 0;
let builtLocally = 0;
let unreported = 0;
const runs: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const action: DemoAction = { index: i, cacheUrls, coordinatorUrl: coordinator.url, workDir };
  runs.push(
    new Promise<void>((resolve) => setTimeout(resolve, (i * 1000) / pace)).then(async () => {
      const outcome = (await pool.run(action)) as DemoOutcome;
      done++;
      if (outcome.hit) hits++;
      if (outcome.cacheSkipped) builtLocally++;
      if (!outcome.reported) unreported++;
    }),
  );
}

// ---- display ---------------------------------------------------------------------------------
function rows(): string[] {
  return resilience.getAllStats().map((s) => {
    const l = s.limiterMetrics;
    const state = stateName(s.breakerState);
    const colour = plain ? (x: string) => x : (COLOUR[state] ?? ((x: string) => x));
    return (
      `${label(s.endpoint).padEnd(12)} ${colour(state.padEnd(9))} rate ${l.currentRate.toFixed(0).padStart(4)}/s` +
      `  accepted ${String(l.accepted).padStart(5)}  rejected ${String(l.rejected + s.rejectedByBreaker).padStart(5)}` +
      `  failures ${(s.failureRate * 100).toFixed(1).padStart(5)}%  mean wait ${l.avgWaitTimeMs.toFixed(1).padStart(5)} ms`
    );
  });
}

function bar(fraction: number, width = 30): string {
  const full = Math.round(fraction * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

function frame(): string {
  const header = `${pc.bold('@builder/resilience demo')}  ${workers} workers, ${stamp().trim()}  ${bar(done / total)} ${done}/${total} actions, ${hits} cache hits`;
  return [header, '', ...rows(), '', ...events.slice(-8)].join('\n');
}

const display = setInterval(
  () => {
    if (plain) for (const row of rows()) console.log(`${stamp()}  ${row}`);
    else logUpdate(frame());
  },
  plain ? 1000 : 200,
);

if (plain) {
  console.log(
    `demo: ${workers} workers, ${total} actions at ${pace}/s; caches ${cacheUrls.join(', ')}; coordinator ${coordinator.url}` +
      (cache1 === undefined ? '' : `; cache-1 down ${down[0] / 1000}-${down[1] / 1000} s, cache-2 slow ${slow[0] / 1000}-${slow[1] / 1000} s`),
  );
}
await Promise.all(runs);
clearInterval(display);
for (const timer of faultTimers) clearTimeout(timer);

// ---- summary ---------------------------------------------------------------------------------
const stats = resilience.getAllStats();
const saved = stats.reduce((n, s) => n + s.rejectedByBreaker, 0);
const waitedMs = stats.reduce((n, s) => n + s.limiterMetrics.avgWaitTimeMs * s.limiterMetrics.accepted, 0);
if (plain) for (const row of rows()) console.log(`${stamp()}  ${row}`);
else {
  logUpdate(frame());
  logUpdate.done();
}
console.log(
  `summary: ${done} actions in ${(elapsedMs() / 1000).toFixed(1)} s, ${hits} cache hits, ${builtLocally} built without the cache, ` +
    `${unreported} not reported, ${saved} calls saved by open circuits, ${(waitedMs / 1000).toFixed(2)} s lost to waiting for tokens`,
);

await pool.destroy();
await coordinator.close();
for (const server of embedded) await server.down();
resilience.close();
rmSync(workDir, { recursive: true, force: true });
