import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNetworkError } from '../../src/index.js';
import { CacheHttpError, isCacheHttpError } from '../../src/integrations/cache/CacheHttpError.js';
import { CacheTimeoutError, isCacheTimeoutError } from '../../src/integrations/cache/CacheTimeoutError.js';
import { HttpCacheTransport } from '../../src/integrations/cache/HttpCacheTransport.js';
import { type FrontProxy, startFrontProxy } from '../support/loopback.js';
import { freePort, hasNginx, type NginxServer, requireNginx, startNginx } from '../support/nginx.js';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

async function drain(stream: Readable): Promise<{ size: number; hash: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, hash: hash.digest('hex') };
}

requireNginx('HttpCacheTransport');

describe.skipIf(!hasNginx)('HttpCacheTransport against nginx (WebDAV)', () => {
  let nginx: NginxServer;
  let front: FrontProxy;
  let cache: HttpCacheTransport;

  beforeAll(async () => {
    nginx = await startNginx();
    front = await startFrontProxy(nginx.port);
    cache = new HttpCacheTransport({ baseUrl: nginx.baseUrl });
  });
  afterAll(async () => {
    await front?.close();
    await nginx?.dispose();
  });

  it('PUT, GET and HEAD on /ac/<hash> and /cas/<hash>; 404 is a miss', async () => {
    const blob = bytes('compiled output');
    const digest = sha256(blob);
    expect(await cache.get('cas', digest)).toBeUndefined();
    expect(await cache.has('cas', digest)).toBe(false);
    expect(await cache.getStream('cas', digest)).toBeUndefined();

    await cache.put('cas', digest, blob);
    expect(readFileSync(join(nginx.root, 'cas', digest))).toEqual(Buffer.from(blob));
    expect(await cache.has('cas', digest)).toBe(true);
    expect(await cache.head('cas', digest)).toBe(true);
    const got = await cache.get('cas', digest);
    expect(got).toBeInstanceOf(Uint8Array);
    expect(sha256(got as Uint8Array)).toBe(digest);

    // The action cache is a separate namespace; an entry can be replaced.
    const action = sha256(bytes('action'));
    expect(await cache.has('ac', digest)).toBe(false);
    await cache.put('ac', action, bytes('result v1'));
    await cache.put('ac', action, bytes('result v2'));
    expect(new TextDecoder().decode(await cache.get('ac', action))).toBe('result v2');
    expect(readFileSync(join(nginx.root, 'ac', action), 'utf8')).toBe('result v2');
  });

  it('an empty blob is a hit, not a miss', async () => {
    const digest = sha256(new Uint8Array(0));
    await cache.put('cas', digest, new Uint8Array(0));
    expect(await cache.get('cas', digest)).toEqual(new Uint8Array(0));
    expect(await cache.has('cas', digest)).toBe(true);
  });

  it('streams a 20 MB blob up from a Readable and down as a Readable', async () => {
    const chunk = 1 << 20;
    const chunks = Array.from({ length: 20 }, () => randomBytes(chunk));
    const expected = createHash('sha256');
    for (const c of chunks) expected.update(c);
    const digest = expected.digest('hex');
    let produced = 0;
    const source = new Readable({
      read() {
        this.push(produced < chunks.length ? chunks[produced++] : null);
      },
    });
    await cache.put('cas', digest, source);
    expect(produced).toBe(20);
    expect(source.destroyed).toBe(true);

    const stream = await cache.getStream('cas', digest);
    expect(stream).toBeInstanceOf(Readable);
    expect(await drain(stream as Readable)).toEqual({ size: 20 * chunk, hash: digest });
  });

  it('uploads from a web ReadableStream and from a function that opens the stream', async () => {
    const a = bytes('from a web stream');
    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(a.subarray(0, 5));
        controller.enqueue(a.subarray(5));
        controller.close();
      },
    });
    await cache.put('cas', sha256(a), web);
    expect(await cache.get('cas', sha256(a))).toEqual(a);
    const b = bytes('from a factory');
    let opened = 0;
    await cache.put('cas', sha256(b), () => {
      opened++;
      return Readable.from([Buffer.from(b)]);
    });
    expect(opened).toBe(1);
    expect(await cache.get('cas', sha256(b))).toEqual(b);
  });

  it('accepts a base URL with a path prefix and upper-case hex (stored in lower case)', async () => {
    const prefixed = new HttpCacheTransport({ baseUrl: `${nginx.baseUrl}/team-a` });
    expect(prefixed.baseUrl).toBe(`${nginx.baseUrl}/team-a/`);
    expect(prefixed.urlOf('ac', 'ABCDEF01')).toBe(`${nginx.baseUrl}/team-a/ac/abcdef01`);
    await prefixed.put('ac', 'ABCDEF01', bytes('x'));
    expect(readFileSync(join(nginx.root, 'team-a', 'ac', 'abcdef01'), 'utf8')).toBe('x');
    expect(await prefixed.has('ac', 'abcdef01')).toBe(true);
  });

  it('rejects a bad kind or hash with an error naming the input, before any request', async () => {
    const counted = new HttpCacheTransport({ baseUrl: front.baseUrl });
    const before = front.requests.length;
    await expect(counted.get('ac', 'not-hex')).rejects.toThrow(RangeError);
    await expect(counted.get('ac', 'not-hex')).rejects.toThrow(/hash: expected 1 to 128 hex digits \(0-9, a-f\), got "not-hex"/);
    await expect(counted.has('ac', '../etc/passwd')).rejects.toThrow(/hash: .*got "\.\.\/etc\/passwd"/);
    await expect(counted.put('cas', '', bytes('x'))).rejects.toThrow(/hash: .*got ""/);
    await expect(counted.get('ac', 'a'.repeat(129))).rejects.toThrow(/129 characters/);
    await expect(counted.get('blobs' as 'ac', 'abcd')).rejects.toThrow(/kind: expected 'ac' or 'cas', got "blobs"/);
    await expect(counted.getStream('ac', 42 as unknown as string)).rejects.toThrow(TypeError);
    await expect(counted.put('ac', 'abcd', 'text' as unknown as Uint8Array)).rejects.toThrow(/data: expected a Uint8Array/);
    expect(front.requests.length).toBe(before);
  });

  it('sends configured headers, and credentials of the URL as Basic authorization', async () => {
    const t = new HttpCacheTransport({ baseUrl: `http://builder:s3cret@127.0.0.1:${front.port}`, headers: { 'x-build-id': '42' } });
    expect(t.baseUrl).toBe(`${front.baseUrl}/`);
    await t.has('ac', 'abcd');
    const seen = front.requests.at(-1);
    expect(seen?.method).toBe('HEAD');
    expect(seen?.url).toBe('/ac/abcd');
    expect(seen?.headers['x-build-id']).toBe('42');
    expect(seen?.headers.authorization).toBe(`Basic ${Buffer.from('builder:s3cret').toString('base64')}`);
  });

  it('other statuses are CacheHttpErrors; the network classifier counts 5xx, not 4xx', async () => {
    const t = new HttpCacheTransport({ baseUrl: front.baseUrl });
    try {
      for (const [status, counted] of [
        [403, false],
        [413, false],
        [500, true],
        [503, true],
      ] as const) {
        front.intercept = () => status;
        const error = await t.get('cas', 'abcd').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CacheHttpError);
        expect(isCacheHttpError(error)).toBe(true);
        expect(error).toMatchObject({ status, method: 'GET', url: `${front.baseUrl}/cas/abcd`, code: 'CACHE_HTTP_STATUS' });
        expect(isNetworkError(error)).toBe(counted);
        expect(isNetworkError(JSON.parse(JSON.stringify(error)))).toBe(counted);
      }
      // A 404 on PUT is no miss: the server has no such store.
      front.intercept = () => 404;
      await expect(t.put('ac', 'abcd', bytes('x'))).rejects.toMatchObject({ status: 404, method: 'PUT' });
      expect(await t.has('ac', 'abcd')).toBe(false);
    } finally {
      front.intercept = undefined;
    }
  });

  it('times out past timeoutMs with CacheTimeoutError (ETIMEDOUT, a network error); getStream only until the headers', async () => {
    const t = new HttpCacheTransport({ baseUrl: front.baseUrl, timeoutMs: 100 });
    front.delayMs = 400;
    try {
      const start = performance.now();
      const error = await t.get('cas', 'abcd').catch((e: unknown) => e);
      expect(performance.now() - start).toBeLessThan(350);
      expect(error).toBeInstanceOf(CacheTimeoutError);
      expect(isCacheTimeoutError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'ETIMEDOUT', timeoutMs: 100, method: 'GET' });
      expect(isNetworkError(error)).toBe(true);
    } finally {
      front.delayMs = 0;
    }
    // Reading a streamed body is not bounded by timeoutMs.
    const digest = sha256(bytes('slow body'));
    await cache.put('cas', digest, bytes('slow body'));
    const stream = await t.getStream('cas', digest);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await drain(stream as Readable)).hash).toBe(digest);
  });

  it('a caller signal cancels the call', async () => {
    front.delayMs = 5000;
    try {
      const controller = new AbortController();
      const reason = new Error('build cancelled');
      const t = new HttpCacheTransport({ baseUrl: front.baseUrl });
      const slow = t.get('cas', 'abcd', { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const start = performance.now();
      controller.abort(reason);
      await expect(slow).rejects.toBe(reason);
      expect(performance.now() - start).toBeLessThan(1000);
    } finally {
      front.delayMs = 0;
    }
  });

  it('network failures are fetch errors the network classifier counts', async () => {
    const port = await freePort();
    const t = new HttpCacheTransport({ baseUrl: `http://127.0.0.1:${port}` });
    const error = await t.get('cas', 'abcd').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(isNetworkError(error)).toBe(true);
  });
});

describe('HttpCacheTransport configuration', () => {
  it('checks the config, naming the option', () => {
    expect(() => new HttpCacheTransport(undefined as unknown as { baseUrl: string })).toThrow(/config: expected an object/);
    expect(() => new HttpCacheTransport({ baseUrl: 42 as unknown as string })).toThrow(TypeError);
    expect(() => new HttpCacheTransport({ baseUrl: 'not a url' })).toThrow(/baseUrl: expected an http\(s\) URL, got "not a url"/);
    expect(() => new HttpCacheTransport({ baseUrl: 'ftp://127.0.0.1/' })).toThrow(/baseUrl: expected an http: or https: URL/);
    expect(() => new HttpCacheTransport({ baseUrl: 'http://127.0.0.1/?x=1' })).toThrow(/query or fragment/);
    expect(() => new HttpCacheTransport({ baseUrl: 'http://127.0.0.1', timeoutMs: -1 })).toThrow(/timeoutMs/);
    expect(() => new HttpCacheTransport({ baseUrl: 'http://127.0.0.1', headers: { 'bad header': 'x' } })).toThrow(TypeError);
    expect(() => new HttpCacheTransport({ baseUrl: 'http://127.0.0.1', headers: { a: 1 as unknown as string } })).toThrow(/headers\["a"\]: expected a string/);
    const t = new HttpCacheTransport({ baseUrl: new URL('http://127.0.0.1:9/'), timeoutMs: '2s' });
    expect(t.timeoutMs).toBe(2000);
    expect(t.origin).toBe('http://127.0.0.1:9');
    expect(new HttpCacheTransport({ baseUrl: 'http://127.0.0.1:9' }).timeoutMs).toBe(60_000);
  });
});
