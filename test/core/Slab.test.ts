import { describe, expect, it } from 'vitest';
import { H_BYTES, H_CAPACITY_I32, H_MAGIC_I32, H_VERSION_I32, LAYOUT_VERSION } from '../../src/core/layout.generated.js';
import { Slab, slabGeometry } from '../../src/core/Slab.js';
import { isSlabAttachError, ManualClock, PolicyPresets, ResilienceService, SlabAttachError } from '../../src/index.js';

function service(): ResilienceService {
  const svc = new ResilienceService(PolicyPresets.standard(), { clock: new ManualClock(5), capacity: 8 });
  svc.registerEndpoint('a', PolicyPresets.critical());
  return svc;
}

/** A copy of the first `length` bytes of `buffer` in a new SharedArrayBuffer, with `edit` applied. */
function copyOf(buffer: SharedArrayBuffer, length = buffer.byteLength, edit: (i32: Int32Array) => void = () => {}): SharedArrayBuffer {
  const copy = new SharedArrayBuffer(length);
  new Uint8Array(copy).set(new Uint8Array(buffer, 0, Math.min(length, buffer.byteLength)));
  edit(new Int32Array(copy, 0, Math.floor(length / 4)));
  return copy;
}

function attachError(handle: unknown): SlabAttachError {
  let error: unknown;
  try {
    Slab.attach(handle);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SlabAttachError);
  expect(isSlabAttachError(error)).toBe(true);
  expect((error as SlabAttachError).code).toBe('SLAB_ATTACH');
  // The same refusal through the public entry point.
  expect(() => ResilienceService.attach(handle as SharedArrayBuffer)).toThrow(SlabAttachError);
  return error as SlabAttachError;
}

describe('Slab.attach', () => {
  it('attaches a service handle, its bare buffer and an exact copy of it', () => {
    const svc = service();
    for (const handle of [svc.handle, svc.handle.buffer, copyOf(svc.handle.buffer)]) {
      const slab = Slab.attach(handle);
      expect(slab.capacity).toBe(8);
      expect(slab.tableSlots).toBe(slabGeometry(8).tableSlots);
    }
    expect(ResilienceService.attach(svc.handle).hasEndpoint('a')).toBe(true);
    expect(ResilienceService.attach(structuredClone(svc.handle)).hasEndpoint('a')).toBe(true);
  });

  it('refuses a buffer with the wrong magic number', () => {
    const svc = service();
    const bad = copyOf(svc.handle.buffer, undefined, (i32) => {
      i32[H_MAGIC_I32] = 0x12345678;
    });
    expect(attachError(bad).message).toMatch(/magic 0x12345678/);
    expect(attachError(new SharedArrayBuffer(svc.handle.buffer.byteLength)).message).toMatch(/magic 0x0\b/);
  });

  it('refuses a slab of another layout version', () => {
    const svc = service();
    const bad = copyOf(svc.handle.buffer, undefined, (i32) => {
      i32[H_VERSION_I32] = LAYOUT_VERSION + 1;
    });
    const message = attachError(bad).message;
    expect(message).toContain(`version ${LAYOUT_VERSION + 1}`);
    expect(message).toContain(String(LAYOUT_VERSION));
  });

  it('refuses a truncated buffer', () => {
    const svc = service();
    const full = svc.handle.buffer.byteLength;
    const needed = slabGeometry(8).byteLength;
    expect(attachError(copyOf(svc.handle.buffer, needed - 4)).message).toMatch(/truncated/);
    expect(attachError(copyOf(svc.handle.buffer, H_BYTES)).message).toMatch(/truncated/);
    expect(attachError(copyOf(svc.handle.buffer, H_BYTES - 4)).message).toContain(`${H_BYTES - 4} bytes`);
    expect(attachError(new SharedArrayBuffer(0)).message).toContain('0 bytes');
    expect(full).toBeGreaterThanOrEqual(needed);
  });

  it('refuses a header whose geometry is corrupt', () => {
    const svc = service();
    for (const capacity of [0, -1, 9, 2_000_000]) {
      const bad = copyOf(svc.handle.buffer, undefined, (i32) => {
        i32[H_CAPACITY_I32] = capacity;
      });
      expect(attachError(bad).message).toMatch(/truncated or corrupt/);
    }
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a string', 'slab'],
    ['an empty object', {}],
    ['a handle of another kind', { kind: 'something-else', version: 1, buffer: new SharedArrayBuffer(1024) }],
    ['a handle whose buffer is not shared', { kind: '@builder/resilience/slab', version: 1, buffer: new ArrayBuffer(4096) }],
    ['an ArrayBuffer', new ArrayBuffer(4096)],
    ['a typed array', new Int32Array(new SharedArrayBuffer(4096))],
  ])('refuses %s as a handle', (_label, handle) => {
    expect(attachError(handle).message).toMatch(/attach expects/);
  });

  it('errors survive structured cloning with their code', () => {
    const error = attachError(42);
    const json = structuredClone(error.toJSON());
    expect(json).toMatchObject({ code: 'SLAB_ATTACH', name: 'SlabAttachError', message: error.message });
  });
});
