import { createHash } from 'node:crypto';
import { PolicyBuilder, PolicyPresets, RemoteExecutor, ResilientCacheTransport, ResilientRemoteExecutor } from '../src/index.js';
import { sharedResilience } from '../src/worker.js';

/** One action of the simulated build, as the main thread hands it to the pool. */
export interface DemoAction {
  readonly index: number;
  readonly cacheUrls: readonly string[];
  readonly coordinatorUrl: string;
  readonly workDir: string;
}

/** What an action reports back. */
export interface DemoOutcome {
  readonly hit: boolean;
  readonly cacheSkipped: boolean;
  readonly reported: boolean;
}

const caches = new Map<string, ResilientCacheTransport>();
let executor: ResilientRemoteExecutor | undefined;

/** The caches' policy: the network preset, tuned so a short demo shows a whole breaker cycle. */
export const DEMO_CACHE_POLICY = PolicyBuilder.from(PolicyPresets.network())
  .withBreakerWindow('2s')
  .withBreakerTimeout('1500ms')
  .withMinimumRequests(10)
  .withRateLimit(400)
  .withBurstCapacity(100)
  .withHalfOpenTrials(2)
  .build();

function cache(url: string): ResilientCacheTransport {
  let transport = caches.get(url);
  if (transport === undefined) {
    // Every worker makes its own transport; they all share the breaker in the slab.
    transport = new ResilientCacheTransport({ baseUrl: url, timeoutMs: 150, retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }, sharedResilience());
    caches.set(url, transport);
  }
  return transport;
}

/**
 * Reads the action's output from its cache server, builds it on a miss (or when the cache is
 * unavailable) and writes it back, then reports the action to the coordinator, which runs a
 * trivial command for it.
 */
export default async function runAction(action: DemoAction): Promise<DemoOutcome> {
  const resilience = sharedResilience();
  if (action.index < 0) return { hit: false, cacheSkipped: false, reported: true }; // warm-up: the module is loaded
  const url = action.cacheUrls[action.index % action.cacheUrls.length] as string;
  const key = createHash('sha256').update(`action-${action.index % 150}`).digest('hex');
  let hit = false;
  let cacheSkipped = false;
  try {
    hit = (await cache(url).get('ac', key, {})) !== undefined;
  } catch {
    cacheSkipped = true; // an open circuit, a timeout or a refused connection: build locally
  }
  if (!hit) {
    await new Promise((resolve) => setTimeout(resolve, 2 + (action.index % 5))); // the "build"
    if (!cacheSkipped) await cache(url).put('ac', key, Buffer.from(`output of ${action.index}`)).catch(() => {});
  }
  executor ??= new ResilientRemoteExecutor(new RemoteExecutor({ timeoutMs: '10s' }), action.coordinatorUrl, resilience);
  let reported = true;
  try {
    await executor.execute(`action-${action.index}`, {}, ['true'], action.workDir);
  } catch {
    reported = false;
  }
  return { hit, cacheSkipped, reported };
}
