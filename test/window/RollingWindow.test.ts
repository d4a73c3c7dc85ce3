import { describe, expect, it } from 'vitest';
import {
  EP_FAILURES_I32,
  EP_GRANTS_I32,
  EP_I32,
  EP_POLICY_I32,
  EP_ROTATE_AT_I32,
  POL_BUCKET_MS_I32,
  POL_BUCKETS_I32,
} from '../../src/core/layout.generated.js';
import { wrap32 } from '../../src/core/wide.js';
import { readWindow, resetWindow, rotate, type WindowCounts } from '../../src/window/RollingWindow.js';

/** One endpoint record (at Int32 index 0) with a window of `buckets` buckets of `width` ms. */
class Record {
  readonly i32 = new Int32Array(new SharedArrayBuffer(EP_I32 * 4));

  constructor(buckets: number, width: number, start: number) {
    this.i32[EP_POLICY_I32 + POL_BUCKETS_I32] = buckets;
    this.i32[EP_POLICY_I32 + POL_BUCKET_MS_I32] = width;
    resetWindow(this.i32, 0, wrap32(start));
  }

  /** What tryAcquire does first at absolute slab time `abs`. */
  rotate(abs: number): void {
    rotate(this.i32, 0, wrap32(abs), abs);
  }

  /** Sets the lifetime counters (modulo 2^32, as the slab holds them). */
  counters(grants: number, failures: number): void {
    this.i32[EP_GRANTS_I32] = wrap32(grants);
    this.i32[EP_FAILURES_I32] = wrap32(failures);
  }

  read(abs: number): WindowCounts {
    return readWindow(this.i32, 0, wrap32(abs), { total: 0, failures: 0 });
  }
}

describe('rolling window', () => {
  it('is empty after a reset, until a call starts a bucket', () => {
    const w = new Record(4, 100, 1_000);
    w.counters(50, 20);
    expect(w.read(1_000)).toEqual({ total: 0, failures: 0 });
    expect(w.i32[EP_ROTATE_AT_I32]).toBe(1_000);
    w.rotate(1_030);
    expect(w.i32[EP_ROTATE_AT_I32]).toBe(1_100); // the bucket [1000, 1100) ends at 1100
    w.counters(53, 21);
    expect(w.read(1_040)).toEqual({ total: 3, failures: 1 });
  });

  it('counts from the oldest bucket that started less than buckets × width ago', () => {
    const w = new Record(4, 100, 1_000);
    w.rotate(1_000); // bucket [1000, 1100): snapshot (0, 0)
    w.counters(5, 1);
    w.rotate(1_150); // bucket [1100, 1200): snapshot (5, 1)
    w.counters(8, 3);
    expect(w.read(1_399)).toEqual({ total: 8, failures: 3 }); // 1000 is 399 ms old
    expect(w.read(1_400)).toEqual({ total: 3, failures: 2 }); // 1000 is exactly 400 ms old: out
    expect(w.read(1_499)).toEqual({ total: 3, failures: 2 });
    expect(w.read(1_500)).toEqual({ total: 0, failures: 0 }); // 1100 is 400 ms old: nothing left
    expect(w.read(1_099)).toEqual({ total: 8, failures: 3 }); // a bucket that has not begun yet is ignored
  });

  it('starts a bucket once: a second call in the same bucket moves nothing', () => {
    const w = new Record(2, 50, 0);
    w.rotate(10);
    w.counters(4, 4);
    w.rotate(20);
    w.rotate(49);
    expect(w.read(49)).toEqual({ total: 4, failures: 4 });
    w.rotate(50);
    w.counters(6, 4);
    expect(w.read(99)).toEqual({ total: 6, failures: 4 });
    expect(w.read(100)).toEqual({ total: 2, failures: 0 });
  });

  it('reuses ring slots: a bucket `buckets` steps later replaces the one in its slot', () => {
    const w = new Record(2, 100, 0);
    w.rotate(0);
    w.counters(1, 0);
    w.rotate(100);
    w.counters(2, 0);
    w.rotate(200); // same slot as bucket 0
    w.counters(3, 0);
    expect(w.read(250)).toEqual({ total: 2, failures: 0 }); // since bucket [100, 200)
  });

  it('is exact across the 32-bit wrap of slab time and of the counters', () => {
    const t = 2 ** 32; // a multiple of the bucket width: buckets start at multiples of it
    const w = new Record(4, 128, t - 300);
    w.counters(2 ** 32 - 2, 2 ** 32 - 1);
    w.rotate(t - 150); // bucket [t - 256, t - 128)
    w.counters(2 ** 32 + 3, 2 ** 32 + 1);
    w.rotate(t + 10); // bucket [t, t + 128)
    w.counters(2 ** 32 + 10, 2 ** 32 + 2);
    expect(w.read(t + 150)).toEqual({ total: 12, failures: 3 });
    expect(w.read(t + 255)).toEqual({ total: 12, failures: 3 });
    expect(w.read(t + 256)).toEqual({ total: 7, failures: 1 }); // t - 256 is 512 ms old: out
  });

  it('a reset forgets every bucket', () => {
    const w = new Record(4, 100, 0);
    w.rotate(0);
    w.counters(10, 10);
    resetWindow(w.i32, 0, 50);
    expect(w.read(60)).toEqual({ total: 0, failures: 0 });
    w.rotate(60); // the next call starts a fresh bucket, snapshotting the counters now
    w.counters(11, 10);
    expect(w.read(70)).toEqual({ total: 1, failures: 0 });
  });
});
