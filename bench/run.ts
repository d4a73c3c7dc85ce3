/**
 * The benchmark harness: `npm run bench [-- [--quick] [suite ...]]`.
 *
 * Runs every suite (or the ones named), prints a table per suite with ratios to a baseline
 * measured in the same run and a summary of the project's goals, appends the run to
 * bench/results/<YYYY-MM-DD>-<hostname>.json, and writes its chart (ns/op per case, ours beside
 * the peers) to <YYYY-MM-DD>-<hostname>.svg and latest.svg, and its tables in Markdown to
 * <YYYY-MM-DD>-<hostname>.md and latest.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { renderChart } from './chart.js';
import { hotpath } from './hotpath.bench.js';
import { type Goal, renderMarkdownTable, renderTable, type Suite, type SuiteResult } from './lib.js';
import { memory } from './memory.bench.js';
import { peers } from './peers.bench.js';
import { threads } from './threads.bench.js';

const SUITES: readonly Suite[] = [hotpath, peers, threads, memory];
/** Other names a suite answers to on the command line. */
const ALIASES: Readonly<Record<string, string>> = { execute: 'peers' };

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
    ...Object.entries(ALIASES).map(([alias, name]) => `  ${alias.padEnd(9)} same as ${name}`),
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
  const picked = names.map((n) => SUITES.find((s) => s.name === (ALIASES[n] ?? n)) ?? unknownSuite(n));
  const suites = names.length === 0 ? SUITES : SUITES.filter((s) => picked.includes(s));
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

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** bench/results/<YYYY-MM-DD>-<hostname>, without an extension. */
function resultsStem(started: Date): string {
  const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '_');
  return `${RESULTS_DIR}${localDate(started)}-${host}`;
}

function writeResults(run: Record<string, unknown>, started: Date): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${resultsStem(started)}.json`;
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

type RunResult = SuiteResult & { cpuBusyBefore: number; durationS: number };

/** The command that reproduces a run. */
function command(argv: readonly string[]): string {
  return argv.length === 0 ? 'npm run bench' : `npm run bench -- ${argv.join(' ')}`;
}

/** The machine, in two parts (the chart prints them on two lines). */
function machineLines(m: Record<string, unknown>): [string, string] {
  return [
    `node ${String(m.node)} (V8 ${String(m.v8)}), ${String(m.cpuModel)}, ${String(m.cores)} cores (availableParallelism ${String(m.availableParallelism)})`,
    `${String(m.totalMemoryMiB)} MiB, ${String(m.platform)} ${String(m.arch)}, host ${String(m.hostname)}, load average ${(m.loadAverage as number[]).join(' ')}`,
  ];
}

function machineLine(m: Record<string, unknown>): string {
  return machineLines(m).join(', ');
}

/** Every goal of the run, with the suite that measured it. */
function allGoals(results: readonly RunResult[]): (Goal & { suite: string })[] {
  return results.flatMap((r) => (r.goals ?? []).map((g) => ({ ...g, suite: r.suite })));
}

function renderGoals(goals: readonly (Goal & { suite: string })[], markdown: boolean): string {
  const table = {
    title: 'Goals (ratios from this run)',
    columns: ['suite', 'goal', 'measured', 'verdict'],
    rows: goals.map((g) => ({ suite: g.suite, goal: g.goal, measured: g.measured, verdict: g.verdict })),
  };
  return markdown ? renderMarkdownTable(table) : renderTable(table);
}

/** The run as Markdown: what produced it, then every suite's tables and notes, then the goals. */
function renderMarkdown(
  started: Date,
  argv: readonly string[],
  m: Record<string, unknown>,
  results: readonly RunResult[],
  errors: readonly { suite: string; error: string }[],
  chartFile: string,
): string {
  const out: string[] = [
    `<!-- written by bench/run.ts (${command(argv)}); do not edit by hand -->`,
    `### Benchmark results, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- command: \`${command(argv)}\`${argv.includes('--quick') ? ' (quick: short samples, one round; figures are rougher than a full run)' : ''}`,
    `- machine: ${machineLine(m)}`,
    `- CPU busy just before each suite (other processes): ` +
      results.map((r) => `${r.suite} ${(r.cpuBusyBefore * 100).toFixed(0)}%`).join(', '),
    `- chart: [${chartFile}](${chartFile})`,
    '',
  ];
  if (errors.length > 0) out.push(`**Failed suites:** ${errors.map((e) => e.suite).join(', ')}`, '');
  const goals = allGoals(results);
  if (goals.length > 0) out.push(renderGoals(goals, true), '');
  for (const r of results) {
    out.push(`### ${r.suite} (${r.durationS} s)`, '');
    for (const table of r.tables) out.push(renderMarkdownTable(table), '');
    out.push(`Baseline: ${r.baseline}`, '');
    for (const note of r.notes) out.push(`- ${note}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * Writes the chart and the Markdown of the run, dated and — when the run had every suite — as
 * latest.* (what the README links: a run of some suites only must not replace it); returns the
 * files written.
 */
function writeReports(
  started: Date,
  argv: readonly string[],
  m: Record<string, unknown>,
  results: readonly RunResult[],
  errors: readonly { suite: string; error: string }[],
  complete: boolean,
): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stem = resultsStem(started);
  // The peers' comparison heads the chart; the synchronous hot path follows.
  const order = (suite: string): number => (suite === 'peers' ? 0 : 1);
  const bars = [...results].sort((a, b) => order(a.suite) - order(b.suite)).flatMap((r) => r.chart ?? []);
  const svg = renderChart(bars, '@builder/resilience beside its peers — ns per operation', [
    `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, \`${command(argv)}\``,
    ...machineLines(m),
    'One thread; every figure from the same run. Ratios in brackets are paired with a baseline timed beside each sample.',
  ]);
  const files: string[] = [];
  const write = (file: string, text: string): void => {
    writeFileSync(file, text);
    files.push(file);
  };
  write(`${stem}.svg`, svg);
  write(`${stem}.md`, renderMarkdown(started, argv, m, results, errors, `${stem.slice(RESULTS_DIR.length)}.svg`));
  if (complete) {
    write(`${RESULTS_DIR}latest.svg`, svg);
    write(`${RESULTS_DIR}latest.md`, renderMarkdown(started, argv, m, results, errors, 'latest.svg'));
  }
  return files;
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
  const results: RunResult[] = [];
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
      goals: allGoals(results),
      errors,
    },
    started,
  );
  const goals = allGoals(results);
  if (goals.length > 0) console.log(`${renderGoals(goals, false)}\n`);
  const complete = args.suites.length === SUITES.length && errors.length === 0;
  const reports = writeReports(started, process.argv.slice(2), m, results, errors, complete);
  console.log(`load average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`results appended to ${file}`);
  console.log(`chart and tables written to ${reports.join(', ')}`);
  if (!complete) console.log('(latest.svg and latest.md are left as they were: they are written by a run of every suite that succeeds)');
  if (errors.length > 0) {
    console.error(`${errors.length} suite(s) failed: ${errors.map((e) => e.suite).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
