import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BreakerState, CircuitOpenError, PolicyBuilder, PolicyPresets, Priority, ResilienceService } from '../../src/index.js';
import { CacheHttpError } from '../../src/integrations/cache/CacheHttpError.js';
import type { CacheRetryOptions } from '../../src/integrations/cache/ResilientCacheTransport.js';
import { ResilientCacheTransport } from '../../src/integrations/cache/ResilientCacheTransport.js';
import { type FrontProxy, startFrontProxy } from '../support/loopback.js';
import { hasNginx, type NginxServer, requireNginx, startNginx } from '../support/nginx.js';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Retries without real waiting; the delays are recorded. */
function instantRetry(extra: CacheRetryOptions = {}): { delays: number[]; retry: CacheRetryOptions } {
  const delays: number[] = [];
  return {
    delays,
    retry: {
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
      ...extra,
    },
  };
}

const services: ResilienceService[] = [];
function service(): ResilienceService {
  const s = new ResilienceService(PolicyPresets.standard(), { env: false });
  services.push(s);
  return s;
}
afterEach(() => {
  for (const s of services.splice(0)) s.close();
});

describe('ResilientCacheTransport construction', () => {
  it('names the endpoint after the origin and registers the network preset for it', () => {
    const resilience = service();
    const cache = new ResilientCacheTransport({ baseUrl: 'http://127.0.0.1:8080/some/prefix' }, resilience);
    expect(cache.endpoint).toBe('cache:http://127.0.0.1:8080');
    expect(resilience.hasEndpoint('cache:http://127.0.0.1:8080')).toBe(true);
    expect(resilience.policyOf(cache.endpoint)).toEqual(PolicyPresets.network());
    expect(cache.timeoutMs).toBe(60_000);
    expect(cache.transport.timeoutMs).toBe(0);
  });

  it('keeps the policy of an endpoint already registered; config.policy replaces it; config.endpoint names it', () => {
    const resilience = service();
    resilience.registerEndpoint('cache:http://127.0.0.1:8080', PolicyPresets.critical());
    const a = new ResilientCacheTransport({ baseUrl: 'http://127.0.0.1:8080' }, resilience);
    expect(resilience.policyOf(a.endpoint)).toEqual(PolicyPresets.critical());
    const strict = PolicyBuilder.from(PolicyPresets.network()).withMinimumRequests(3).build();
    new ResilientCacheTransport({ baseUrl: 'http://127.0.0.1:8080', policy: strict }, resilience);
    expect(resilience.policyOf(a.endpoint).minimumRequests).toBe(3);
    const named = new ResilientCacheTransport({ baseUrl: 'http://127.0.0.1:8080', endpoint: 'remote-cache' }, resilience);
    expect(named.endpoint).toBe('remote-cache');
    expect(resilience.policyOf('remote-cache')).toEqual(PolicyPresets.network());
  });

  it('requires a ResilienceService and checks the config', () => {
    expect(() => new ResilientCacheTransport({ baseUrl: 'http://127.0.0.1:8080' }, null as unknown as ResilienceService)).toThrow(
      /resilience: expected a ResilienceService \(share one per process\), got null/,
    );
    expect(() => new ResilientCacheTransport({ baseUrl: 'gopher://x' }, service())).toThrow(/baseUrl/);
    expect(() => new ResilientCacheTransport({ baseUrl: 'http://127.0.0.1:1', retry: { attempts: 0 } }, service())).toThrow(/attempts: expected an integer from 1 to 100, got 0/);
    expect(() => new ResilientCacheTransport({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 'soon' }, service())).toThrow(/timeoutMs/);
  });
});

requireNginx('ResilientCacheTransport');

describe.skipIf(!hasNginx)('ResilientCacheTransport against nginx', () => {
  let nginx: NginxServer;
  let front: FrontProxy;

  beforeAll(async () => {
    nginx = await startNginx();
    front = await startFrontProxy(nginx.port);
  });
  afterAll(async () => {
    await front?.close();
    await nginx?.dispose();
  });
  afterEach(() => {
    front.intercept = undefined;
    front.delayMs = 0;
  });

  it('has the plain transport API: put, get, getStream, has/head', async () => {
    const resilience = service();
    const cache = new ResilientCacheTransport({ baseUrl: nginx.baseUrl }, resilience);
    const blob = bytes('artifact');
    const digest = sha256(blob);
    expect(await cache.get('cas', digest)).toBeUndefined();
    expect(await cache.has('cas', digest)).toBe(false);
    await cache.put('cas', digest, blob);
    expect(await cache.get('cas', digest)).toEqual(blob);
    expect(await cache.has('cas', digest)).toBe(true);
    expect(await cache.head('cas', digest)).toBe(true);
    const stream = await cache.getStream('cas', digest);
    const chunks: Buffer[] = [];
    for await (const chunk of stream as Readable) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(blob));
    const stats = resilience.getBreakerStatistics(cache.endpoint);
    expect(stats.total).toBe(7);
    expect(stats.failures).toBe(0);
  });

  it('GET runs at Normal priority, PUT at Low, HEAD at High, each bounded by timeoutMs', async () => {
    const resilience = service();
    const cache = new ResilientCacheTransport({ baseUrl: nginx.baseUrl, timeoutMs: '5s' }, resilience);
    const execute = vi.spyOn(resilience, 'execute');
    const digest = sha256(bytes('p'));
    await cache.put('ac', digest, bytes('p'));
    await cache.get('ac', digest);
    await (await cache.getStream('ac', digest))?.toArray();
    await cache.has('ac', digest);
    await cache.head('ac', digest);
    expect(execute.mock.calls.map((c) => [c[0], c[2], c[3]])).toEqual([
      [cache.endpoint, Priority.Low, 5000],
      [cache.endpoint, Priority.Normal, 5000],
      [cache.endpoint, Priority.Normal, 5000],
      [cache.endpoint, Priority.High, 5000],
      [cache.endpoint, Priority.High, 5000],
    ]);
  });

  it('a miss is not a failure: recorded as a success, not retried', async () => {
    const resilience = service();
    const { delays, retry } = instantRetry();
    const cache = new ResilientCacheTransport({ baseUrl: front.baseUrl, retry }, resilience);
    const before = front.requests.length;
    for (let i = 0; i < 30; i++) expect(await cache.get('cas', `dead${i.toString(16).padStart(4, '0')}`)).toBeUndefined();
    expect(front.requests.length - before).toBe(30);
    expect(delays).toEqual([]);
    const stats = resilience.getBreakerStatistics(cache.endpoint);
    expect(stats).toMatchObject({ total: 30, failures: 0, state: BreakerState.Closed });
  });

  it('retries 5xx answers with backoff, then succeeds', async () => {
    const resilience = service();
    const { delays, retry } = instantRetry({ attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 });
    const cache = new ResilientCacheTransport({ baseUrl: front.baseUrl, retry }, resilience);
    const digest = sha256(bytes('flaky'));
    await cache.put('cas', digest, bytes('flaky'));
    let failing = 2;
    front.intercept = (r) => (r.method === 'GET' && failing-- > 0 ? 503 : undefined);
    const before = front.requests.length;
    expect(await cache.get('cas', digest)).toEqual(bytes('flaky'));
    expect(front.requests.length - before).toBe(3);
    expect(delays).toEqual([50, 100]); // 0.5 × 100, 0.5 × 200
    expect(resilience.getBreakerStatistics(cache.endpoint)).toMatchObject({ total: 4, failures: 2 });
  });

  it('gives up after the attempts with the last CacheHttpError', async () => {
    const resilience = service();
    const { retry } = instantRetry({ attempts: 3 });
    const cache = new ResilientCacheTransport({ baseUrl: front.baseUrl, retry }, resilience);
    front.intercept = () => 502;
    const before = front.requests.length;
    const error = await cache.has('ac', 'abcd').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheHttpError);
    expect(error).toMatchObject({ status: 502, method: 'HEAD' });
    expect(front.requests.length - before).toBe(3);
  });

  it('4xx answers other than 404 are neither retried nor counted', async () => {
    const resilience = service();
    const { delays, retry } = instantRetry();
    const cache = new ResilientCacheTransport({ baseUrl: front.baseUrl, retry }, resilience);
    front.intercept = () => 403;
    const before = front.requests.length;
    await expect(cache.put('ac', 'abcd', bytes('x'))).rejects.toMatchObject({ status: 403 });
    expect(front.requests.length - before).toBe(1);
    expect(delays).toEqual([]);
    expect(resilience.getBreakerStatistics(cache.endpoint)).toMatchObject({ total: 1, failures: 0 });
  });

  it('a PUT from a one-shot stream is attempted once; from a stream factory it is retried', async () => {
    const resilience = service();
    const { retry } = instantRetry({ attempts: 3 });
    const cache = new ResilientCacheTransport({ baseUrl: front.baseUrl, retry }, resilience);
    let failing = 1;
    front.intercept = (r) => (r.method === 'PUT' && failing-- > 0 ? 503 : undefined);
    const before = front.requests.length;
    const data = bytes('streamed');
    await expect(cache.put('cas', sha256(data), Readable.from([Buffer.from(data)]))).rejects.toMatchObject({ status: 503 });
    expect(front.requests.length - before).toBe(1);

    failing = 1;
    let opened = 0;
    await cache.put('cas', sha256(data), () => {
      opened++;
      return Readable.from([Buffer.from(data)]);
    });
    expect(opened).toBe(2);
    expect(await cache.get('cas', sha256(data))).toEqual(data);
  });

  it('sends configured headers and URL credentials like the plain transport', async () => {
    const cache = new ResilientCacheTransport({ baseUrl: `http://ci:token@127.0.0.1:${front.port}/`, headers: { 'x-team': 'a' } }, service());
    expect(cache.endpoint).toBe(`cache:${front.baseUrl}`);
    await cache.has('ac', 'abcd');
    expect(front.requests.at(-1)?.headers).toMatchObject({ 'x-team': 'a', authorization: `Basic ${Buffer.from('ci:token').toString('base64')}` });
  });

  it('rejects a bad key before the call: nothing is counted or sent', async () => {
    const resilience = service();
    const cache = new ResilientCacheTransport({ baseUrl: front.baseUrl }, resilience);
    const before = front.requests.length;
    await expect(cache.get('cas', 'xyz')).rejects.toThrow(/hash: expected 1 to 128 hex digits/);
    await expect(cache.put('tmp' as 'ac', 'abcd', bytes('x'))).rejects.toThrow(/kind: expected 'ac' or 'cas'/);
    await expect(cache.put('ac', 'abcd', 'text' as unknown as Uint8Array)).rejects.toThrow(/data: expected a Uint8Array/);
    expect(front.requests.length).toBe(before);
    expect(resilience.getBreakerStatistics(cache.endpoint).total).toBe(0);
  });

  it('an open circuit rejects at once with CircuitOpenError and releases a stream it was given', async () => {
    const resilience = service();
    const policy = PolicyBuilder.from(PolicyPresets.network()).withMinimumRequests(2).withBreakerThreshold(0.5).withBreakerTimeout('1m').build();
    const { retry } = instantRetry({ attempts: 1 });
    const cache = new ResilientCacheTransport({ baseUrl: front.baseUrl, policy, retry }, resilience);
    front.intercept = () => 500;
    for (let i = 0; i < 2; i++) await expect(cache.has('ac', 'abcd')).rejects.toMatchObject({ status: 500 });
    expect(resilience.endpoint(cache.endpoint).state).toBe(BreakerState.Open);
    const before = front.requests.length;
    const source = Readable.from([Buffer.from('never sent')]);
    await expect(cache.put('cas', 'abcd', source)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(source.destroyed).toBe(true);
    await expect(cache.get('cas', 'abcd')).rejects.toBeInstanceOf(CircuitOpenError);
    expect(front.requests.length).toBe(before);
  });
});
