import { describe, expect, it } from 'vitest';
import { ManualClock, PolicyBuilder, PolicyPresets, ResilienceService } from '../../src/index.js';
import { err, ok, type Result } from '../../src/integrations/Result.js';
import { HttpWorkerTransport } from '../../src/integrations/transport/HttpWorkerTransport.js';
import { ResilientTransportFactory } from '../../src/integrations/transport/ResilientTransportFactory.js';
import { ResilientWorkerTransport } from '../../src/integrations/transport/ResilientWorkerTransport.js';
import { isTransportError, TransportError } from '../../src/integrations/transport/TransportError.js';

function service(capacity?: number): ResilienceService {
  return new ResilienceService(undefined, { clock: new ManualClock(), env: false, ...(capacity === undefined ? {} : { capacity }) });
}

describe('Result', () => {
  it('holds a value or an error; unwrap returns the value or throws the very error', () => {
    const good: Result<number, Error> = ok(7);
    expect(good.isOk()).toBe(true);
    expect(good.isErr()).toBe(false);
    expect(good.value).toBe(7);
    expect(good.error).toBeUndefined();
    expect(good.unwrap()).toBe(7);
    expect(good.unwrapOr(1)).toBe(7);
    expect(good.map((v) => v * 2).unwrap()).toBe(14);
    expect(() => good.unwrapErr()).toThrow(TypeError);

    const failure = new RangeError('nope');
    const bad: Result<number, Error> = err(failure);
    expect(bad.isOk()).toBe(false);
    expect(bad.isErr()).toBe(true);
    expect(bad.value).toBeUndefined();
    expect(bad.error).toBe(failure);
    expect(bad.unwrapOr(1)).toBe(1);
    expect(bad.unwrapErr()).toBe(failure);
    expect(bad.map((v) => v * 2).error).toBe(failure);
    let thrown: unknown;
    try {
      bad.unwrap();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(failure);
  });

  it('narrows on isOk() and on the ok discriminant', () => {
    const r: Result<string, Error> = ok('x');
    if (r.isOk()) expect(r.value.toUpperCase()).toBe('X');
    else expect.unreachable();
    if (!r.ok) expect.unreachable();
  });
});

describe('ResilientTransportFactory.create', () => {
  const invalid: [string, unknown, RegExp][] = [
    ['not a URL', 'not a url', /"not a url" is not a valid absolute URL/],
    ['a relative path', '/workers/3', /"\/workers\/3" is not a valid absolute URL/],
    ['another protocol', 'ftp://127.0.0.1:2121', /"ftp:\/\/127\.0\.0\.1:2121" has protocol ftp:/],
    ['credentials', 'http://user:secret@127.0.0.1:1', /contains credentials/],
    ['a query', 'http://127.0.0.1:1/?a=b', /has a query or fragment/],
    ['a number', 42, /is not a URL/],
  ];
  for (const [what, url, message] of invalid) {
    it(`returns an Err naming the URL for ${what}, registers nothing and throws nothing`, () => {
      using resilience = service();
      const result = ResilientTransportFactory.create(url as string, resilience);
      expect(result.isErr()).toBe(true);
      expect(result.error).toBeInstanceOf(TransportError);
      expect(isTransportError(result.error)).toBe(true);
      expect(result.error?.code).toBe('INVALID_URL');
      expect(result.error?.message).toMatch(/^workerUrl: /);
      expect(result.error?.message).toMatch(message);
      expect(() => result.unwrap()).toThrow(result.error as TransportError);
      expect(resilience.endpointNames()).toEqual([]);
    });
  }

  it('registers worker:<origin> with the highThroughput preset, shared by every URL of that origin', () => {
    using resilience = service();
    const transport = ResilientTransportFactory.create('http://127.0.0.1:47001/workers/3/', resilience).unwrap();
    expect(transport.endpoint).toBe('worker:http://127.0.0.1:47001');
    expect(resilience.endpointNames()).toEqual(['worker:http://127.0.0.1:47001']);
    expect(resilience.policyOf(transport.endpoint)).toEqual(PolicyPresets.highThroughput());
    expect((transport.transport as HttpWorkerTransport).url.href).toBe('http://127.0.0.1:47001/workers/3');
    const other = ResilientTransportFactory.create('http://127.0.0.1:47001/workers/4', resilience).unwrap();
    expect(other.endpoint).toBe(transport.endpoint);
    expect(resilience.endpointNames()).toHaveLength(1);
  });

  it('keeps a policy the application registered first', () => {
    using resilience = service();
    const mine = PolicyBuilder.create().withRateLimit(3).withBurstCapacity(2).build();
    resilience.registerEndpoint('worker:http://127.0.0.1:47002', mine);
    ResilientTransportFactory.create('http://127.0.0.1:47002', resilience).unwrap();
    expect(resilience.policyOf('worker:http://127.0.0.1:47002')).toEqual(mine);
  });

  it('returns an Err with code ENDPOINT when the service cannot hold the endpoint', () => {
    using resilience = service(1);
    resilience.registerEndpoint('something-else', PolicyPresets.standard());
    const result = ResilientTransportFactory.create('http://127.0.0.1:47003', resilience);
    expect(result.error?.code).toBe('ENDPOINT');
    expect(result.error?.message).toMatch(/cannot register endpoint "worker:http:\/\/127\.0\.0\.1:47003"/);
  });

  it('throws for a resilience argument that is not a service, and for a bad option', () => {
    expect(() => ResilientTransportFactory.create('http://127.0.0.1:1', {} as ResilienceService)).toThrow(TypeError);
    using resilience = service();
    expect(() => ResilientTransportFactory.create('http://127.0.0.1:1', resilience, { timeoutMs: -1 })).toThrow(/timeoutMs/);
    expect(resilience.endpointNames()).toEqual([]);
  });

  it('refuses a malformed message before it takes a token: nothing is counted', async () => {
    using resilience = service();
    const transport = ResilientTransportFactory.create('http://127.0.0.1:47004', resilience).unwrap();
    const bad = [
      transport.sendHeartBeat('w1', { workerId: 'w2', timestamp: 1, load: -1, queueDepth: 0 }),
      transport.sendHeartBeat('', { workerId: 'w2', timestamp: 1, load: 0, queueDepth: 0 }),
      transport.sendStealRequest('w1', { thiefId: 'w2', maxActions: 0 }),
      transport.sendStealResponse('w1', { victimId: 'w2', actions: [{ actionId: 7 as unknown as string }] }),
    ];
    const messages = await Promise.all(bad.map((p) => p.then(() => 'sent', (e: Error) => `${e.name}: ${e.message}`)));
    expect(messages).toEqual([
      expect.stringMatching(/^TypeError: heartbeat\.load: expected a finite number from 0/),
      expect.stringMatching(/^TypeError: workerId: expected a non-empty string/),
      expect.stringMatching(/^TypeError: request\.maxActions: expected an integer from 1/),
      expect.stringMatching(/^TypeError: response\.actions\[0\]\.actionId: expected a non-empty string/),
    ]);
    expect(resilience.getBreakerStatistics(transport.endpoint).total).toBe(0);
  });

  it('a ResilientWorkerTransport built by hand registers its endpoint the same way', () => {
    using resilience = service();
    const transport = new ResilientWorkerTransport(new HttpWorkerTransport('http://127.0.0.1:47005'), resilience, 'worker-5');
    expect(transport.endpoint).toBe('worker-5');
    expect(resilience.policyOf('worker-5')).toEqual(PolicyPresets.highThroughput());
  });

  it('HttpWorkerTransport throws the TransportError for a bad URL', () => {
    expect(() => new HttpWorkerTransport('mailto:w@x')).toThrow(/workerUrl: "mailto:w@x" has protocol mailto:/);
  });
});
