#!/usr/bin/env node
// Prints the benchmark table from mcp-load.mjs result files: one row per target (the median of its rounds when a
// target ran several times), absolute figures, then ratios against `direct` and against `mcp-hub`.
// Usage: node report.mjs <result.json>...
import { readFileSync } from 'node:fs';

const runs = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

const labels = [...new Set(runs.map((r) => r.label))];
const rowsByLabel = Object.fromEntries(labels.map((label) => {
  const rs = runs.filter((r) => r.label === label);
  return [label, {
    label,
    transport: rs[0].transport ?? '-',
    sessions: rs[0].sessions,
    rounds: rs.length,
    requests: rs.reduce((a, r) => a + (r.requests ?? 0), 0),
    errors: rs.reduce((a, r) => a + (r.errors ?? 0), 0),
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.latencyMs?.p50)),
    p99: median(rs.map((r) => r.latencyMs?.p99)),
  }];
}));
const direct = rowsByLabel.direct;
const hub = rowsByLabel['mcp-hub'];

const fmt = (x, digits = 2) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);

const header = ['target', 'transport', 'sessions', 'rounds', 'requests', 'errors', 'req/s', 'p50 ms', 'p99 ms',
  'req/s÷direct', 'p50÷direct', 'p99÷direct', 'req/s÷hub', 'p50÷hub', 'p99÷hub'];
const rows = labels.map((label) => {
  const r = rowsByLabel[label];
  return [r.label, r.transport, String(r.sessions ?? '-'), String(r.rounds), String(r.requests), String(r.errors),
    fmt(r.rps, 1), fmt(r.p50), fmt(r.p99),
    fmt(ratio(r.rps, direct?.rps)), fmt(ratio(r.p50, direct?.p50)), fmt(ratio(r.p99, direct?.p99)),
    fmt(ratio(r.rps, hub?.rps)), fmt(ratio(r.p50, hub?.p50)), fmt(ratio(r.p99, hub?.p99))];
});
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
rows.forEach((r) => console.log(line(r)));
for (const r of runs) {
  if (r.error) console.log(`${r.label}: FAILED: ${r.error}`);
  else if (r.errors > 0) console.log(`${r.label}: ${r.errors} failed requests, first: ${r.firstError}`);
}
