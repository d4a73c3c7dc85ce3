/**
 * Shared types and helpers of the benchmark harness (bench/run.ts drives the suites).
 */

/** Options every suite gets from the runner. */
export interface SuiteOptions {
  /** A short run (the whole harness in under a minute): fewer rounds, shorter samples. */
  readonly quick: boolean;
}

/** A cell of a result table. */
export type Cell = string | number | boolean | null;

/** One row of a suite's table. */
export type Row = Record<string, Cell>;

/** A table a suite prints (and stores in the results file). */
export interface Table {
  readonly title: string;
  /** Column keys, in order; rows may omit a key (printed as blank). */
  readonly columns: readonly string[];
  readonly rows: readonly Row[];
}

/** A goal the project states, and where this run stands against it. */
export interface Goal {
  /** The goal, as the issue states it ("hot path <= 3.5 × one Atomics.add"). */
  readonly goal: string;
  /** What this run measured, in words and figures. */
  readonly measured: string;
  /** MEETS / MISSES, or n/a when this run could not tell (no clean runs, say). */
  readonly verdict: 'MEETS' | 'MISSES' | 'n/a';
}

/** Who a chart bar belongs to: a baseline, this library, or a peer library. */
export type BarKind = 'baseline' | 'ours' | 'peer';

/** One bar of the chart the harness writes (ns per operation). */
export interface ChartBar {
  /** Bars are grouped under their section's heading, in the order they arrive. */
  readonly section: string;
  readonly label: string;
  readonly kind: BarKind;
  readonly nsPerOp: number;
  /** Printed after the value (a ratio, say). */
  readonly note?: string;
}

/** What a suite returns. */
export interface SuiteResult {
  readonly suite: string;
  /** What the ratios of this suite are relative to (measured in the same run). */
  readonly baseline: string;
  readonly tables: readonly Table[];
  /** Remarks printed under the tables: goals, method, anything odd seen during the run. */
  readonly notes: readonly string[];
  /** Extra structured data for the results file. */
  readonly details?: unknown;
  /** The project's goals this suite reports against (collected into the run's summary). */
  readonly goals?: readonly Goal[];
  /** Bars this suite adds to the run's chart. */
  readonly chart?: readonly ChartBar[];
}

/** A benchmark suite. */
export interface Suite {
  readonly name: string;
  readonly description: string;
  run(options: SuiteOptions): Promise<SuiteResult>;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >>> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Rounds to `digits` significant digits (for the results file and the tables). */
export function sig(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

function formatCell(value: Cell | undefined): string {
  if (value === undefined) return '';
  if (value === null) return 'n/a';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return value.toLocaleString('en-US');
    if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
    if (Math.abs(value) >= 100) return value.toFixed(1);
    if (Math.abs(value) >= 10) return value.toFixed(2);
    return value.toFixed(value === Math.trunc(value) ? 0 : 3);
  }
  return String(value);
}

/** Renders a table as GitHub Markdown (a heading, then the table; numbers right-aligned). */
export function renderMarkdownTable(table: Table): string {
  const esc = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
  const header = table.columns;
  const numeric = header.map((key) => table.rows.some((row) => typeof row[key] === 'number'));
  const line = (cells: readonly string[]): string => `| ${cells.map(esc).join(' | ')} |`;
  const rule = `|${header.map((_, c) => (numeric[c] === true ? '---:' : '---')).join('|')}|`;
  return [`#### ${esc(table.title)}`, '', line(header), rule, ...table.rows.map((row) => line(header.map((key) => formatCell(row[key]))))].join('\n');
}

/** Renders a table as aligned text (numbers right-aligned). */
export function renderTable(table: Table): string {
  const header = table.columns;
  const body = table.rows.map((row) => header.map((key) => formatCell(row[key])));
  const numeric = header.map((key) => table.rows.some((row) => typeof row[key] === 'number'));
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => (r[c] as string).length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, c) => (numeric[c] === true ? cell.padStart(widths[c] as number) : cell.padEnd(widths[c] as number))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (numeric[c] === true ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [`${table.title}`, '', line(header), rule, ...body.map(line)].join('\n');
}

/** Throws an error that stops the harness with a non-zero exit code. */
export function fail(message: string): never {
  throw new Error(`BENCHMARK CORRECTNESS FAILURE: ${message}`);
}
