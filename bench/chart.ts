/**
 * The chart the harness writes with every run: a horizontal bar chart of ns per operation, on a
 * log scale, one bar per case, grouped in sections so that ours stands beside the peers doing the
 * same thing. Plain SVG, no dependency.
 */
import type { BarKind, ChartBar } from './lib.js';

const COLORS: Record<BarKind, string> = { ours: '#1f6feb', peer: '#e8772e', baseline: '#8c959f' };
const KIND_NAMES: Record<BarKind, string> = { ours: '@builder/resilience', peer: 'peer library', baseline: 'baseline' };

const WIDTH = 980;
const LABEL_W = 400;
const VALUE_W = 150;
const PLOT_X = LABEL_W + 10;
const PLOT_W = WIDTH - PLOT_X - VALUE_W;
const ROW_H = 20;
const BAR_H = 13;
const SECTION_H = 26;

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function formatNs(ns: number): string {
  if (ns >= 10_000) return `${(ns / 1000).toFixed(1)} µs`;
  if (ns >= 1000) return `${(ns / 1000).toFixed(2)} µs`;
  if (ns >= 100) return `${ns.toFixed(0)} ns`;
  if (ns >= 10) return `${ns.toFixed(1)} ns`;
  return `${ns.toFixed(2)} ns`;
}

function formatTick(ns: number): string {
  if (ns >= 1e6) return `${ns / 1e6} ms`;
  if (ns >= 1000) return `${ns / 1000} µs`;
  if (ns >= 1) return `${ns} ns`;
  return `${ns * 1000} ps`;
}

/**
 * Renders `bars` (grouped by section, in order of first appearance) as an SVG document.
 * `title` and `subtitle` head the chart (machine, date, command).
 */
export function renderChart(bars: readonly ChartBar[], title: string, subtitle: readonly string[]): string {
  const usable = bars.filter((b) => Number.isFinite(b.nsPerOp) && b.nsPerOp > 0);
  const sections: { name: string; bars: ChartBar[] }[] = [];
  for (const bar of usable) {
    let section = sections.find((s) => s.name === bar.section);
    if (section === undefined) {
      section = { name: bar.section, bars: [] };
      sections.push(section);
    }
    section.bars.push(bar);
  }
  const values = usable.map((b) => b.nsPerOp);
  const lo = values.length === 0 ? 0 : Math.floor(Math.log10(Math.min(...values)));
  const hi = values.length === 0 ? 1 : Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))));
  const x = (ns: number): number => PLOT_X + ((Math.log10(ns) - lo) / (hi - lo)) * PLOT_W;

  const headerH = 34 + subtitle.length * 16 + 26;
  const bodyH = sections.reduce((h, s) => h + SECTION_H + s.bars.length * ROW_H, 0);
  const axisH = 36;
  const height = headerH + Math.max(bodyH, ROW_H) + axisH;
  const plotTop = headerH;
  const plotBottom = headerH + bodyH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="600" fill="#1f2328">${xml(title)}</text>`,
  );
  subtitle.forEach((line, i) => {
    out.push(`<text x="12" y="${44 + i * 16}" fill="#57606a">${xml(line)}</text>`);
  });
  // Legend.
  const legendY = 34 + subtitle.length * 16 + 12;
  let lx = 12;
  for (const kind of ['ours', 'peer', 'baseline'] as const) {
    out.push(`<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[kind]}"/>`);
    out.push(`<text x="${lx + 17}" y="${legendY}" fill="#1f2328">${xml(KIND_NAMES[kind])}</text>`);
    lx += 40 + KIND_NAMES[kind].length * 7;
  }
  out.push(`<text x="${WIDTH - 12}" y="${legendY}" text-anchor="end" fill="#57606a">ns per operation, log scale (shorter is faster)</text>`);

  // Grid: decades, with 2× and 5× minor lines.
  for (let d = lo; d <= hi; d++) {
    const major = 10 ** d;
    const gx = x(major);
    out.push(`<line x1="${gx.toFixed(1)}" y1="${plotTop}" x2="${gx.toFixed(1)}" y2="${plotBottom}" stroke="#d0d7de" stroke-width="1"/>`);
    out.push(`<text x="${gx.toFixed(1)}" y="${plotBottom + 16}" text-anchor="middle" fill="#57606a">${xml(formatTick(major))}</text>`);
    if (d < hi) {
      for (const m of [2, 5]) {
        const mx = x(m * major);
        out.push(`<line x1="${mx.toFixed(1)}" y1="${plotTop}" x2="${mx.toFixed(1)}" y2="${plotBottom}" stroke="#eaeef2" stroke-width="1"/>`);
      }
    }
  }

  let y = plotTop;
  for (const section of sections) {
    out.push(`<text x="12" y="${y + 18}" font-weight="600" fill="#1f2328">${xml(section.name)}</text>`);
    out.push(`<line x1="12" y1="${y + 22}" x2="${WIDTH - 12}" y2="${y + 22}" stroke="#d0d7de" stroke-width="1"/>`);
    y += SECTION_H;
    for (const bar of section.bars) {
      const mid = y + ROW_H / 2;
      const x0 = PLOT_X;
      const x1 = Math.max(x0 + 1, x(bar.nsPerOp));
      out.push(`<text x="${LABEL_W}" y="${mid + 4}" text-anchor="end" fill="#1f2328">${xml(bar.label)}</text>`);
      out.push(
        `<rect x="${x0}" y="${(mid - BAR_H / 2).toFixed(1)}" width="${(x1 - x0).toFixed(1)}" height="${BAR_H}" fill="${COLORS[bar.kind]}"><title>${xml(`${bar.label}: ${formatNs(bar.nsPerOp)}`)}</title></rect>`,
      );
      const note = bar.note === undefined || bar.note === '' ? '' : ` (${bar.note})`;
      out.push(`<text x="${(x1 + 5).toFixed(1)}" y="${mid + 4}" fill="#1f2328">${xml(formatNs(bar.nsPerOp) + note)}</text>`);
      y += ROW_H;
    }
  }
  if (sections.length === 0) out.push(`<text x="12" y="${plotTop + 14}" fill="#57606a">no per-operation figures in this run (run the hotpath or peers suite)</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
