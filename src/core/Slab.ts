import { SlabAttachError } from '../errors/SlabAttachError.js';
import {
  EP_BYTES,
  EP_I32,
  H_BYTE_LENGTH_I64,
  H_BYTES,
  H_CAPACITY_I32,
  H_ENDPOINTS_OFFSET_I32,
  H_MAGIC_I32,
  H_MODE_I32,
  H_TABLE_SLOTS_I32,
  H_TABLES_OFFSET_I32,
  H_VERSION_I32,
  LAYOUT_VERSION,
  SLAB_MAGIC,
} from './layout.generated.js';

/** Largest capacity a slab accepts (its tables must stay addressable by Int32 indexes). */
export const MAX_CAPACITY = 1_000_000;
/** Capacity of a slab made without an explicit one. */
export const DEFAULT_CAPACITY = 10_000;

const WASM_PAGE = 65536;
const HANDLE_KIND = '@builder/resilience/slab';

/** A structured-cloneable reference to a slab: post it to a worker and `attach` it there. */
export interface SlabHandle {
  readonly kind: typeof HANDLE_KIND;
  readonly version: number;
  readonly buffer: SharedArrayBuffer;
}

export interface SlabOptions {
  /** Endpoints the slab can hold at once. @default 10_000 */
  readonly capacity?: number;
  /** Pass-through mode: nothing is broken or limited, statistics are still counted. @default false */
  readonly passThrough?: boolean;
}

/** Mode bits of the header's `mode` word. */
export const MODE_PASS_THROUGH = 1;

const nextPow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(2, n)));

/** Byte geometry of a slab of a given capacity. */
export function slabGeometry(capacity: number): {
  readonly endpointsOffset: number;
  readonly tablesOffset: number;
  readonly tableSlots: number;
  readonly byteLength: number;
} {
  const endpointsOffset = H_BYTES;
  const tableSlots = nextPow2(capacity * 2);
  const tablesOffset = endpointsOffset + capacity * EP_BYTES;
  const byteLength = tablesOffset + 2 * tableSlots * 4;
  return { endpointsOffset, tablesOffset, tableSlots, byteLength };
}

/**
 * The shared memory of one resilience service: a header, `capacity` endpoint records and two
 * hash tables, laid out as `native-layout/` declares.
 *
 * The allocating thread makes it with {@link Slab.allocate} from a shared `WebAssembly.Memory`,
 * whose buffer starts on a page boundary, so every record starts on its own cache line (a plain
 * `new SharedArrayBuffer` starts 16 or 48 bytes past one). Any thread wraps an existing buffer
 * with {@link Slab.attach}, which checks the magic number, the layout version and the length.
 */
export class Slab {
  readonly buffer: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly i64: BigInt64Array;
  readonly f64: Float64Array;
  readonly u8: Uint8Array;
  readonly capacity: number;
  readonly tableSlots: number;
  /** Int32 index of endpoint record 0. */
  readonly endpoints32: number;
  /** Int32 index of hash table 0. */
  readonly tables32: number;
  readonly passThrough: boolean;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.i32 = new Int32Array(buffer);
    this.i64 = new BigInt64Array(buffer, 0, buffer.byteLength >>> 3);
    this.f64 = new Float64Array(buffer, 0, buffer.byteLength >>> 3);
    this.u8 = new Uint8Array(buffer);
    this.capacity = this.i32[H_CAPACITY_I32] as number;
    this.tableSlots = this.i32[H_TABLE_SLOTS_I32] as number;
    this.endpoints32 = (this.i32[H_ENDPOINTS_OFFSET_I32] as number) >>> 2;
    this.tables32 = (this.i32[H_TABLES_OFFSET_I32] as number) >>> 2;
    this.passThrough = ((this.i32[H_MODE_I32] as number) & MODE_PASS_THROUGH) !== 0;
  }

  /** Makes a new slab. Its clock is left at 0; the service sets it up. */
  static allocate(options: SlabOptions = {}): Slab {
    const capacity = options.capacity ?? DEFAULT_CAPACITY;
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      throw new RangeError(`capacity must be an integer from 1 to ${MAX_CAPACITY}, got ${String(capacity)}`);
    }
    const g = slabGeometry(capacity);
    const pages = Math.ceil(g.byteLength / WASM_PAGE);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const buffer = memory.buffer as unknown as SharedArrayBuffer;
    const i32 = new Int32Array(buffer);
    i32[H_VERSION_I32] = LAYOUT_VERSION;
    i32[H_CAPACITY_I32] = capacity;
    i32[H_TABLE_SLOTS_I32] = g.tableSlots;
    i32[H_ENDPOINTS_OFFSET_I32] = g.endpointsOffset;
    i32[H_TABLES_OFFSET_I32] = g.tablesOffset;
    i32[H_MODE_I32] = options.passThrough === true ? MODE_PASS_THROUGH : 0;
    new Float64Array(buffer)[H_BYTE_LENGTH_I64] = g.byteLength;
    // The magic goes last: a slab is recognisable only once its geometry is written.
    Atomics.store(i32, H_MAGIC_I32, SLAB_MAGIC);
    return new Slab(buffer);
  }

  /** Wraps the slab a {@link SlabHandle} (or a bare SharedArrayBuffer) refers to. */
  static attach(handle: unknown): Slab {
    const buffer = bufferOf(handle);
    if (buffer.byteLength < H_BYTES) {
      throw new SlabAttachError(`not a resilience slab: ${buffer.byteLength} bytes is smaller than the ${H_BYTES}-byte header`);
    }
    const i32 = new Int32Array(buffer, 0, H_BYTES >>> 2);
    const magic = Atomics.load(i32, H_MAGIC_I32);
    if (magic !== SLAB_MAGIC) {
      throw new SlabAttachError(`not a resilience slab: magic 0x${(magic >>> 0).toString(16)}, expected 0x${SLAB_MAGIC.toString(16)}`);
    }
    const version = i32[H_VERSION_I32] as number;
    if (version !== LAYOUT_VERSION) {
      throw new SlabAttachError(`slab layout version ${version} cannot be attached by this library (layout version ${LAYOUT_VERSION})`);
    }
    const capacity = i32[H_CAPACITY_I32] as number;
    const want = new Float64Array(buffer, 0, H_BYTES >>> 3)[H_BYTE_LENGTH_I64] as number;
    if (capacity < 1 || capacity > MAX_CAPACITY || want !== slabGeometry(capacity).byteLength || buffer.byteLength < want) {
      throw new SlabAttachError(`slab is truncated or corrupt: ${buffer.byteLength} bytes for capacity ${capacity} (needs ${want})`);
    }
    return new Slab(buffer);
  }

  /** A structured-cloneable reference to this slab. */
  get handle(): SlabHandle {
    return { kind: HANDLE_KIND, version: LAYOUT_VERSION, buffer: this.buffer };
  }

  /** Int32 index of the first word of endpoint record `index`. */
  endpointBase32(index: number): number {
    return this.endpoints32 + index * EP_I32;
  }

  /** Byte offset of endpoint record `index` (a multiple of the cache line). */
  endpointOffset(index: number): number {
    return (this.endpoints32 << 2) + index * EP_BYTES;
  }
}

function bufferOf(handle: unknown): SharedArrayBuffer {
  if (handle instanceof SharedArrayBuffer) return handle;
  if (typeof handle === 'object' && handle !== null) {
    const h = handle as Partial<SlabHandle>;
    if (h.kind === HANDLE_KIND && h.buffer instanceof SharedArrayBuffer) return h.buffer;
  }
  throw new SlabAttachError(
    `attach expects the \`handle\` of a ResilienceService (or its SharedArrayBuffer), got ${describe(handle)}`,
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object with keys [${Object.keys(value).join(', ')}]`;
  return typeof value;
}

