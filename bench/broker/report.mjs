#!/usr/bin/env node
// Prints the benchmark table from mcp-load.mjs result files: one row per target, absolute figures, then ratios
// against the direct run and against mcp-hub. Usage: node report.mjs direct.json broker.json mcp-hub.json
import { readFileSync } from 'node:fs';

const runs = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
const byLabel = Object.fromEntries(runs.map((r) => [r.label, r]));
const direct = byLabel.direct;
const hub = byLabel['mcp-hub'];

const fmt = (x, digits = 2) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);

const header = ['target', 'transport', 'sessions', 'requests', 'errors', 'req/s', 'p50 ms', 'p99 ms',
  'req/s÷direct', 'p50÷direct', 'p99÷direct', 'req/s÷hub', 'p50÷hub', 'p99÷hub'];
const rows = runs.map((r) => {
  const l = r.latencyMs ?? {};
  return [r.label, r.transport ?? '-', String(r.sessions ?? '-'), String(r.requests ?? '-'), String(r.errors ?? '-'),
    fmt(r.rps, 1), fmt(l.p50), fmt(l.p99),
    fmt(ratio(r.rps, direct?.rps)), fmt(ratio(l.p50, direct?.latencyMs?.p50)), fmt(ratio(l.p99, direct?.latencyMs?.p99)),
    fmt(ratio(r.rps, hub?.rps)), fmt(ratio(l.p50, hub?.latencyMs?.p50)), fmt(ratio(l.p99, hub?.latencyMs?.p99))];
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
