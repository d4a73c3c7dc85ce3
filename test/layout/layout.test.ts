/**
 * The slab layout is declared once (native-layout/records.ts); the TypeScript constants and the
 * C header are generated from it. These tests fail when the generated files are stale, and check
 * the C compiler's view of the header against the TypeScript constants.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../../native-layout/generate.js';
import * as decl from '../../native-layout/records.js';
import * as L from '../../src/core/layout.generated.js';
import { Slab, slabGeometry } from '../../src/core/Slab.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const SIZE: Record<decl.FieldType, number> = { i32: 4, f64: 8, i64: 8, u8: 1 };

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'resilience-layout-'));
  temps.push(dir);
  return dir;
}

/** The constant a field of a record is exported as: EP_GRANTS_HALF_WRAPS for endpoint.grantsHalfWraps. */
function constantName(record: decl.RecordDecl, field: string, suffix = ''): string {
  return `${record.prefix}_${field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}${suffix}`;
}

function constant(name: string): number | undefined {
  const value = (L as Record<string, unknown>)[name];
  return typeof value === 'number' ? value : undefined;
}

function runCheck(root: string): { status: number | null; stderr: string } {
  const result = spawnSync(TSX, [join(root, 'native-layout/generate.ts'), '--check'], { cwd: root, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

describe('generated layout files', () => {
  it('are up to date: `tsx native-layout/generate.ts --check` exits 0', () => {
    const { status, stderr } = runCheck(ROOT);
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('are what generate() produces from the declaration now', () => {
    const files = generate(ROOT);
    expect([...files.keys()].map((p) => relative(ROOT, p))).toContain('src/core/layout.generated.ts');
    expect([...files.keys()].map((p) => relative(ROOT, p))).toContain('native-layout/resilience_slab.h');
    for (const [path, text] of files) expect(readFileSync(path, 'utf8'), relative(ROOT, path)).toBe(text);
  });

  it('--check fails, naming the file, when a generated file is stale', () => {
    const root = tempDir();
    const generated = [...generate(ROOT).keys()].map((p) => relative(ROOT, p));
    for (const file of ['native-layout/records.ts', 'native-layout/generate.ts', ...generated]) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(root, file));
    }
    expect(runCheck(root).status).toBe(0); // an exact copy is up to date

    const ts = join(root, 'src/core/layout.generated.ts');
    const original = readFileSync(ts, 'utf8');
    writeFileSync(ts, original.replace(`export const EP_BYTES = ${L.EP_BYTES};`, `export const EP_BYTES = ${L.EP_BYTES + 64};`));
    const stale = runCheck(root);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('src/core/layout.generated.ts');

    writeFileSync(ts, original);
    const header = join(root, 'native-layout/resilience_slab.h');
    writeFileSync(header, readFileSync(header, 'utf8').replace('int32_t grants;', 'int64_t grants;'));
    const staleHeader = runCheck(root);
    expect(staleHeader.status).toBe(1);
    expect(staleHeader.stderr).toContain('native-layout/resilience_slab.h');
    expect(staleHeader.stderr).not.toContain('layout.generated.ts');
  });
});

interface CLayout {
  macros: Record<string, number>;
  records: Record<string, { size: number; fields: Record<string, { offset: number; size: number }> }>;
}

/** Compiles a program against resilience_slab.h that prints what the C compiler makes of every record. */
function compileHeader(): CLayout {
  const dir = tempDir();
  const lines: string[] = ['#include <stdio.h>', '#include "resilience_slab.h"', 'int main(void) {', '  printf("{\\"macros\\":{");'];
  const macros = ['RS_LAYOUT_VERSION', 'RS_SLAB_MAGIC', 'RS_MAX_NAME_BYTES', 'RS_RING_SLOTS', 'RS_POLICY_SLOTS'];
  macros.forEach((m, i) => {
    lines.push(`  printf("${i ? ',' : ''}\\"${m}\\":%lld", (long long)(${m}));`);
  });
  lines.push('  printf("},\\"records\\":{");');
  decl.RECORDS.forEach((r, ri) => {
    const s = `struct ${r.cName}`;
    lines.push(`  printf("${ri ? ',' : ''}\\"${r.name}\\":{\\"size\\":%zu,\\"fields\\":{", sizeof(${s}));`);
    r.fields.forEach((f, fi) => {
      lines.push(
        `  printf("${fi ? ',' : ''}\\"${f.name}\\":{\\"offset\\":%zu,\\"size\\":%zu}", offsetof(${s}, ${f.name}), sizeof(((${s} *)0)->${f.name}));`,
      );
    });
    lines.push('  printf("}}");');
  });
  lines.push('  printf("}}\\n");', '  return 0;', '}', '');
  writeFileSync(join(dir, 'layout.c'), lines.join('\n'));
  const exe = join(dir, 'layout');
  const cc = spawnSync('cc', ['-std=c11', '-Wall', '-Werror', '-I', join(ROOT, 'native-layout'), '-o', exe, join(dir, 'layout.c')], {
    encoding: 'utf8',
  });
  if (cc.error !== undefined) throw cc.error;
  expect(cc.stderr).toBe('');
  expect(cc.status).toBe(0);
  const run = spawnSync(exe, { encoding: 'utf8' });
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as CLayout;
}

describe('the C header', () => {
  const c = compileHeader();

  it('has the constants of the TypeScript layout', () => {
    expect(c.macros).toEqual({
      RS_LAYOUT_VERSION: L.LAYOUT_VERSION,
      RS_SLAB_MAGIC: L.SLAB_MAGIC,
      RS_MAX_NAME_BYTES: L.MAX_NAME_BYTES,
      RS_RING_SLOTS: L.RING_SLOTS,
      RS_POLICY_SLOTS: L.POLICY_SLOTS,
    });
  });

  it.each(decl.RECORDS.map((r) => [r.name, r] as const))('lays out the %s record exactly as the TypeScript constants say', (_name, record) => {
    const cr = c.records[record.name];
    expect(cr).toBeDefined();
    if (cr === undefined) return;
    expect(cr.size).toBe(constant(`${record.prefix}_BYTES`));
    expect(cr.size / 4).toBe(constant(`${record.prefix}_I32`));
    expect(cr.size % L.CACHE_LINE).toBe(0);
    for (const f of record.fields) {
      const cf = cr.fields[f.name];
      const where = `${record.name}.${f.name}`;
      expect(cf, where).toBeDefined();
      if (cf === undefined) continue;
      expect({ where, offset: cf.offset }).toEqual({ where, offset: constant(constantName(record, f.name)) });
      expect({ where, size: cf.size }).toEqual({ where, size: SIZE[f.type] * (f.count ?? 1) });
      if (f.type === 'i32') expect({ where, i32: cf.offset / 4 }).toEqual({ where, i32: constant(constantName(record, f.name, '_I32')) });
      if (f.type === 'i64' || f.type === 'f64') {
        expect({ where, i64: cf.offset / 8 }).toEqual({ where, i64: constant(constantName(record, f.name, '_I64')) });
      }
      if (f.line === true) expect({ where, lineOffset: cf.offset % L.CACHE_LINE }).toEqual({ where, lineOffset: 0 });
    }
  });
});

describe('slab geometry', () => {
  it.each([1, 2, 3, 7, 64, 1_000, 10_000])('places every endpoint record of a slab of capacity %i on a 64-byte boundary', (capacity) => {
    const g = slabGeometry(capacity);
    const slab = Slab.allocate({ capacity });
    expect(slab.buffer.byteLength).toBeGreaterThanOrEqual(g.byteLength);
    expect(g.endpointsOffset).toBeGreaterThanOrEqual(L.H_BYTES);
    for (let i = 0; i < capacity; i++) {
      const at = slab.endpointOffset(i);
      if (at % 64 !== 0 || at !== g.endpointsOffset + i * L.EP_BYTES) throw new Error(`record ${i} starts at byte ${at}`);
      expect(slab.endpointBase32(i) * 4).toBe(at);
    }
    expect(slab.endpointOffset(capacity - 1) + L.EP_BYTES).toBeLessThanOrEqual(g.tablesOffset);
    expect(g.tablesOffset + 2 * g.tableSlots * 4).toBeLessThanOrEqual(g.byteLength);
    expect(g.tableSlots).toBeGreaterThanOrEqual(2 * capacity);
  });

  it('uses at most 1 KiB of slab per endpoint', () => {
    expect(slabGeometry(10_000).byteLength / 10_000).toBeLessThanOrEqual(1024);
  });
});
