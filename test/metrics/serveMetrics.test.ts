import { request } from 'node:http';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ManualClock, PolicyPresets, ResilienceService } from '../../src/index.js';
import { registerResilienceMetrics, serveMetrics } from '../../src/prometheus.js';
import { parseExposition, sampleValue } from './exposition.js';

/** A request to `url`; resolves with status, content type and body. */
function get(url: string, method = 'GET'): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveMetrics', () => {
  it('serves the registry at /metrics on loopback by default', async () => {
    const service = new ResilienceService(PolicyPresets.standard(), { clock: new ManualClock(0), env: false });
    const registry = new Registry();
    registerResilienceMetrics(service, registry);
    await service.execute('cache-server', () => 1);
    const server = await serveMetrics(registry, { port: 0 });
    try {
      expect(server.host).toBe('127.0.0.1');
      const address = server.server.address();
      expect(typeof address === 'object' && address?.address).toBe('127.0.0.1');
      expect(server.port).toBeGreaterThan(0);
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);

      const response = await get(server.url);
      expect(response.status).toBe(200);
      expect(response.type).toBe(registry.contentType);
      expect(sampleValue(parseExposition(response.body), 'resilience_requests_total', 'cache-server')).toBe(1);

      await service.execute('cache-server', () => 2);
      const again = await get(server.url);
      expect(sampleValue(parseExposition(again.body), 'resilience_requests_total', 'cache-server')).toBe(2);

      const head = await get(server.url, 'HEAD');
      expect([head.status, head.body]).toEqual([200, '']);
      expect((await get(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
      expect((await get(server.url, 'POST')).status).toBe(405);
    } finally {
      await server.close();
      service.close();
    }
    await expect(get(server.url)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('is async-disposable, closes idempotently, and reports a failing registry as 500', async () => {
    const failing = { contentType: 'text/plain', metrics: () => Promise.reject(new Error('collector broke')) };
    let url: string;
    {
      await using server = await serveMetrics(failing, { port: 0, path: '/m' });
      url = server.url;
      const response = await get(url);
      expect(response.status).toBe(500);
      expect(response.body).toContain('collector broke');
    }
    await expect(get(url)).rejects.toThrow(/ECONNREFUSED/);
    const server = await serveMetrics(failing, { port: 0 });
    await Promise.all([server.close(), server.close()]);
  });

  it('refuses a bad port, and a port in use', async () => {
    const registry = new Registry();
    await expect(serveMetrics(registry, { port: -1 })).rejects.toThrow(RangeError);
    await expect(serveMetrics(registry, { port: 1.5 })).rejects.toThrow(/port/);
    const first = await serveMetrics(registry, { port: 0 });
    try {
      await expect(serveMetrics(registry, { port: first.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
