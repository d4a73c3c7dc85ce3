/**
 * Memory: slab bytes per endpoint (the layout's geometry and the real buffer), the time to
 * register an endpoint, and the JS heap each registration and each EndpointHandle costs.
 * Baseline for time and heap: `Map.set(name, { count: 0 })` for the same names, same run.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { slabGeometry } from '../src/core/Slab.js';
import { EP_BYTES } from '../src/core/layout.generated.js';
import { ManualClock, PolicyPresets, ResilienceService } from '../src/index.js';
import type { Policy } from '../src/policy/Policy.js';
import type { EndpointHandle } from '../src/service/EndpointHandle.js';
import { totalsOf } from '../test/support/inspect.js';
import { fail, type Goal, median, type Row, type Suite, type SuiteOptions, type SuiteResult, sig } from './lib.js';

const CAPACITIES = [100, 10_000, 100_000] as const;
/** The project's goal: slab bytes per endpoint. */
const GOAL_SLAB_BYTES = 1024;

/** A full collection: `global.gc` when node runs with --expose-gc, else enabled at runtime. */
function getGc(): { gc: () => void; how: string } {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return { gc: exposed, how: 'global.gc (node --expose-gc)' };
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return { gc: gc as () => void, how: "v8.setFlagsFromString('--expose-gc') at runtime" };
  } catch {
    // fall through
  }
  return { gc: () => {}, how: 'none (heap figures include garbage)' };
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

interface Measure {
  readonly capacity: number;
  readonly geometryBytes: number;
  readonly bufferBytes: number;
  readonly registerNs: number;
  readonly handleNs: number;
  readonly mapNs: number;
  readonly heapPerRegistration: number;
  readonly heapPerHandle: number;
  readonly heapPerMapEntry: number;
  readonly rssPerEndpoint: number;
}

/** The rows of the time table at each capacity, in order: the operation, its time and heap per endpoint. */
const TIMED: readonly {
  readonly operation: string;
  readonly ns: 'mapNs' | 'registerNs' | 'handleNs';
  readonly heap: 'heapPerMapEntry' | 'heapPerRegistration' | 'heapPerHandle';
}[] = [
  { operation: 'baseline: Map.set(name, {count: 0})', ns: 'mapNs', heap: 'heapPerMapEntry' },
  { operation: 'registerEndpoint(name, standard)', ns: 'registerNs', heap: 'heapPerRegistration' },
  { operation: 'endpoint(name) (first call: new handle)', ns: 'handleNs', heap: 'heapPerHandle' },
];

/** Measures one repetition at `capacity`: a Map baseline, then a service, its registrations and handles. */
function measureOnce(capacity: number, names: readonly string[], policy: Policy, gc: () => void): Measure {
  // Baseline: a JS Map of the same names.
  let heap0 = heapAfterGc(gc);
  let t0 = performance.now();
  const map = new Map<string, { count: number }>();
  for (const name of names) map.set(name, { count: 0 });
  const mapNs = ((performance.now() - t0) * 1e6) / capacity;
  const heapPerMapEntry = (heapAfterGc(gc) - heap0) / capacity;
  if (map.size !== capacity) fail(`map holds ${map.size} names`);
  map.clear();

  heap0 = heapAfterGc(gc);
  const rss0 = process.memoryUsage.rss();
  // A manual clock: no ticker thread, nothing else allocating meanwhile.
  const service = new ResilienceService(policy, { capacity, clock: new ManualClock(0) });
  const bufferBytes = service.handle.buffer.byteLength;
  heap0 = heapAfterGc(gc);
  t0 = performance.now();
  for (const name of names) service.registerEndpoint(name, policy);
  const registerNs = ((performance.now() - t0) * 1e6) / capacity;
  const heap1 = heapAfterGc(gc);
  const rssPerEndpoint = (process.memoryUsage.rss() - rss0) / capacity;

  t0 = performance.now();
  let last: EndpointHandle | undefined;
  for (const name of names) last = service.endpoint(name);
  const handleNs = ((performance.now() - t0) * 1e6) / capacity;
  const heap2 = heapAfterGc(gc);

  if (last === undefined || service.endpointNames().length !== capacity) fail(`capacity ${capacity}: not every name registered`);
  const lastName = names[capacity - 1] ?? fail('no names');
  const t = totalsOf(service.handle, lastName);
  if (t.admitted !== 0) fail(`a fresh endpoint has ${t.admitted} admissions`);
  const measure: Measure = {
    capacity,
    geometryBytes: slabGeometry(capacity).byteLength,
    bufferBytes,
    registerNs,
    handleNs,
    mapNs,
    heapPerRegistration: (heap1 - heap0) / capacity,
    heapPerHandle: (heap2 - heap1) / capacity,
    heapPerMapEntry,
    rssPerEndpoint,
  };
  service.close();
  return measure;
}

export const memory: Suite = {
  name: 'memory',
  description: 'slab bytes, registration time and JS heap per endpoint at 100 / 10k / 100k capacity',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const { gc, how } = getGc();
    const repeats = options.quick ? 1 : 3;
    const policy = PolicyPresets.standard();
    const measures: Measure[] = [];

    // Warm-up: the registration and handle paths reach optimised code before anything is timed.
    {
      const warm = new ResilienceService(policy, { capacity: 2000, clock: new ManualClock(0) });
      for (let i = 0; i < 2000; i++) warm.endpoint(`warm-${i}`);
      warm.close();
    }

    for (const capacity of CAPACITIES) {
      const names = Array.from({ length: capacity }, (_, i) => `endpoint-${i.toString(36).padStart(5, '0')}`);
      const runs: Measure[] = [];
      for (let rep = 0; rep < repeats; rep++) {
        // One function call per repetition: its frame (and every value a stale interpreter
        // register of it still holds) is gone before the next repetition measures the heap.
        runs.push(measureOnce(capacity, names, policy, gc));
      }
      const pick = (f: (m: Measure) => number): number => median(runs.map(f));
      measures.push({
        capacity,
        geometryBytes: slabGeometry(capacity).byteLength,
        bufferBytes: pick((m) => m.bufferBytes),
        registerNs: pick((m) => m.registerNs),
        handleNs: pick((m) => m.handleNs),
        mapNs: pick((m) => m.mapNs),
        heapPerRegistration: pick((m) => m.heapPerRegistration),
        heapPerHandle: pick((m) => m.heapPerHandle),
        heapPerMapEntry: pick((m) => m.heapPerMapEntry),
        rssPerEndpoint: pick((m) => m.rssPerEndpoint),
      });
    }

    const slabRows: Row[] = measures.map((m) => ({
      capacity: m.capacity,
      'slab bytes (geometry)': m.geometryBytes,
      'slab bytes (buffer)': m.bufferBytes,
      'B/endpoint (geometry)': sig(m.geometryBytes / m.capacity, 4),
      'B/endpoint (buffer)': sig(m.bufferBytes / m.capacity, 4),
      'RSS B/endpoint': sig(m.rssPerEndpoint, 4),
    }));
    const timeRows: Row[] = measures.flatMap((m) =>
      TIMED.map((t) => ({
        capacity: m.capacity,
        operation: t.operation,
        'ns/op': sig(m[t.ns], 3),
        'ops/s': Math.round(1e9 / m[t.ns]),
        '× Map.set': t.ns === 'mapNs' ? 1 : sig(m[t.ns] / m.mapNs, 3),
        'heap B/endpoint': sig(m[t.heap], 3),
      })),
    );
    const goals: Goal[] = measures.map((m) => {
      const buffer = m.bufferBytes / m.capacity;
      const geometry = m.geometryBytes / m.capacity;
      return {
        goal: `<= 1 KiB of slab per endpoint (capacity ${m.capacity.toLocaleString('en-US')})`,
        measured: `${buffer.toFixed(0)} B allocated (${geometry.toFixed(0)} B of header, records and tables; the rest is rounding to 64 KiB pages); JS heap ${Math.max(0, m.heapPerRegistration).toFixed(0)} B per registration + ${m.heapPerHandle.toFixed(0)} B per EndpointHandle; registration ${sig(m.registerNs / 1000, 3)} µs`,
        verdict: buffer <= GOAL_SLAB_BYTES ? 'MEETS' : 'MISSES',
      };
    });
    return {
      suite: 'memory',
      baseline: 'Map.set(name, { count: 0 }) of the same names, same run (time and heap)',
      tables: [
        {
          title: `memory — slab size per endpoint (record: ${EP_BYTES} bytes)`,
          columns: ['capacity', 'slab bytes (geometry)', 'slab bytes (buffer)', 'B/endpoint (geometry)', 'B/endpoint (buffer)', 'RSS B/endpoint'],
          rows: slabRows,
        },
        {
          title: 'memory — registration time and JS heap per endpoint (registering every name up to capacity)',
          columns: ['capacity', 'operation', 'ns/op', 'ops/s', '× Map.set', 'heap B/endpoint'],
          rows: timeRows,
        },
      ],
      notes: [
        `Slab = ${slabGeometry(1).endpointsOffset}-byte header + capacity × ${EP_BYTES}-byte records + two hash tables of nextPow2(2 × capacity) Int32 slots; the buffer is a shared WebAssembly.Memory, so it is rounded up to 64 KiB pages.`,
        `'RSS B/endpoint' = growth of the resident set from before the service is made to after every record is registered, per endpoint (slab pages touched + heap; approximate).`,
        `Heap growth measured after full collections; gc: ${how}. Median of ${repeats} repetition(s), each in its own function call ` +
          `(so nothing of the previous repetition is still reachable). At capacity 100 the heap and RSS deltas (tens of KB) are within measurement noise.`,
      ],
      goals,
      details: { gc: how, repeats, capacities: measures },
    };
  },
};
