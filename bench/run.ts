/**
 * The benchmark harness: `npm run bench [-- [--quick] [suite ...]]`.
 *
 * Runs every suite (or the ones named), prints a table per suite with ratios to a baseline
 * measured in the same run, and appends the run to bench/results/<YYYY-MM-DD>-<hostname>.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { hotpath } from './hotpath.bench.js';
import { renderTable, type Suite, type SuiteResult } from './lib.js';
import { memory } from './memory.bench.js';
import { threads } from './threads.bench.js';

const SUITES: readonly Suite[] = [hotpath, threads, memory];

interface Args {
  readonly quick: boolean;
  readonly suites: readonly Suite[];
}

function usage(): string {
  return [
    'usage: npm run bench -- [--quick] [suite ...]',
    '',
    '  --quick   short run (the whole harness in under a minute)',
    '',
    'suites:',
    ...SUITES.map((s) => `  ${s.name.padEnd(9)} ${s.description}`),
  ].join('\n');
}

function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  const names: string[] = [];
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(usage());
      process.exit(0);
    } else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}\n\n${usage()}`);
    else names.push(arg);
  }
  const suites = names.length === 0 ? SUITES : names.map((n) => SUITES.find((s) => s.name === n) ?? unknownSuite(n));
  return { quick, suites };
}

function unknownSuite(name: string): never {
  throw new Error(`unknown suite '${name}'\n\n${usage()}`);
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuSpeedMHz: cpus[0]?.speed ?? null,
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Share of all CPUs busy (anything: other processes included) over the next `ms` milliseconds. */
async function cpuBusy(ms: number): Promise<number> {
  const sample = (): { busy: number; total: number } => {
    let busy = 0;
    let total = 0;
    for (const cpu of os.cpus()) {
      const t = cpu.times;
      busy += t.user + t.nice + t.sys + t.irq;
      total += t.user + t.nice + t.sys + t.irq + t.idle;
    }
    return { busy, total };
  };
  const a = sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = sample();
  return b.total === a.total ? 0 : (b.busy - a.busy) / (b.total - a.total);
}

function localDate(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function writeResults(run: Record<string, unknown>, started: Date): string {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '_');
  const file = `${dir}${localDate(started)}-${host}.json`;
  let runs: unknown[] = [];
  if (existsSync(file)) {
    try {
      const previous = JSON.parse(readFileSync(file, 'utf8')) as { runs?: unknown };
      if (Array.isArray(previous.runs)) runs = previous.runs;
    } catch {
      // An unreadable results file is replaced, not merged.
    }
  }
  runs.push(run);
  writeFileSync(file, `${JSON.stringify({ machine: machine(), runs }, null, 2)}\n`);
  return file;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const m = machine();
  console.log(
    `@builder/resilience benchmarks${args.quick ? ' (--quick)' : ''}: ${args.suites.map((s) => s.name).join(', ')}\n` +
      `node ${String(m.node)} (V8 ${String(m.v8)}), ${String(m.cpuModel)}, ${String(m.cores)} cores, ${String(m.platform)} ${String(m.arch)}, ` +
      `load average ${(m.loadAverage as number[]).join(' ')}\n`,
  );
  const results: (SuiteResult & { cpuBusyBefore: number; durationS: number })[] = [];
  const errors: { suite: string; error: string }[] = [];
  for (const suite of args.suites) {
    const busy = await cpuBusy(500);
    const t0 = performance.now();
    console.log(`== ${suite.name}: ${suite.description}`);
    console.log(
      `CPU busy just before the suite (other processes): ${(busy * 100).toFixed(0)}% of ${os.cpus().length} CPUs` +
        (busy > 0.1 ? ' — WARNING: the machine is not idle; expect noisy figures' : ''),
    );
    try {
      const result = await suite.run({ quick: args.quick });
      results.push({ ...result, cpuBusyBefore: Math.round(busy * 1000) / 1000, durationS: Math.round((performance.now() - t0) / 100) / 10 });
      for (const table of result.tables) console.log(`\n${renderTable(table)}`);
      console.log(`\nbaseline: ${result.baseline}`);
      for (const note of result.notes) console.log(`- ${note}`);
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      errors.push({ suite: suite.name, error: text });
      console.error(`\n!! suite ${suite.name} failed:\n${text}`);
    }
    console.log(`(${suite.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  const file = writeResults(
    {
      startedAt: started.toISOString(),
      durationS: Math.round((Date.now() - started.getTime()) / 100) / 10,
      quick: args.quick,
      argv: process.argv.slice(2),
      machine: m,
      loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
      results,
      errors,
    },
    started,
  );
  console.log(`load average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`results appended to ${file}`);
  if (errors.length > 0) {
    console.error(`${errors.length} suite(s) failed: ${errors.map((e) => e.suite).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
