#!/usr/bin/env node
// Prints the fast-backend tables from mcp-load.mjs result files named fast-<kind>-<target>.json, kind being
//   ceiling   closed loop with many sessions: each front's saturated throughput;
//   half      open loop at half the broker's ceiling, direct and broker: the broker's added latency;
//   kuadrant  closed loop with 10 clients, direct and broker: average and p95 latency;
// then the issue's two goals, each marked met or not met.
// Usage: node report-fast.mjs <fast-*.json>...
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const ORDER = ['direct', 'broker', 'broker-sdk', 'mcp-hub'];
const runs = { ceiling: {}, half: {}, kuadrant: {} };
for (const f of process.argv.slice(2)) {
  const m = /^fast-(ceiling|half|kuadrant)-(.+)\.json$/.exec(basename(f));
  if (!m) throw new Error(`not a fast-<kind>-<target>.json file: ${f}`);
  runs[m[1]][m[2]] = JSON.parse(readFileSync(f, 'utf8'));
}

const fmt = (x, digits = 2) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);
const diff = (a, b) => (a == null || b == null ? null : a - b);
// Share of one CPU a process used over the measured window, from its µs per call and the calls per second.
const cpuPercent = (r, name) => {
  const us = r?.cpuUsPerCall?.[name];
  if (us == null || !r.measuredSeconds) return null;
  return (us * (r.requests + r.errors)) / r.measuredSeconds / 1e4;
};

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i < 1 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  rows.forEach((r) => console.log(line(r)));
}
const targets = (kind) => ORDER.filter((t) => runs[kind][t]).concat(Object.keys(runs[kind]).filter((t) => !ORDER.includes(t)));

const c = runs.ceiling;
if (Object.keys(c).length) {
  const any = Object.values(c)[0];
  console.log(`ceiling: closed loop, ${any.sessions} sessions, one outstanding tools/call each (saturated throughput ` +
    'at that fixed concurrency, not a knee search); CPU = utime+stime of each process over the measured window');
  table(['target', 'client', 'requests', 'errors', 'req/s', 'p50 ms', 'p99 ms', 'front µs/call', 'backend µs/call',
    'generator µs/call', 'front CPU %', 'generator CPU %', 'req/s÷direct', 'req/s÷hub'],
  targets('ceiling').map((t) => {
    const r = c[t];
    return [t, r.client ?? '-', String(r.requests ?? 0), String(r.errors ?? 0), fmt(r.rps, 0), fmt(r.latencyMs?.p50),
      fmt(r.latencyMs?.p99), fmt(r.cpuUsPerCall?.front, 0), fmt(t === 'direct' ? null : r.cpuUsPerCall?.backend, 0),
      fmt(r.cpuUsPerCall?.generator, 0), fmt(cpuPercent(r, 'front'), 0), fmt(cpuPercent(r, 'generator'), 0),
      fmt(ratio(r.rps, c.direct?.rps)), fmt(ratio(r.rps, c['mcp-hub']?.rps))];
  }));
  console.log('(direct: the front is the backend itself)');
  console.log();
}

const h = runs.half;
if (Object.keys(h).length) {
  const any = Object.values(h)[0];
  console.log(`half load: open loop at ${any.rate} calls/s (half the broker's ceiling) over ${any.sessions} sessions; ` +
    'added = broker - direct');
  table(['target', 'rate/s', 'achieved req/s', 'errors', 'p50 ms', 'p99 ms', 'added p50 ms', 'added p99 ms',
    'front µs/call', 'backend µs/call'],
  targets('half').map((t) => {
    const r = h[t];
    const base = t === 'direct' ? null : h.direct;
    return [t, fmt(r.rate, 0), fmt(r.rps, 0), String(r.errors ?? 0), fmt(r.latencyMs?.p50), fmt(r.latencyMs?.p99),
      fmt(diff(r.latencyMs?.p50, base?.latencyMs?.p50), 3), fmt(diff(r.latencyMs?.p99, base?.latencyMs?.p99), 3),
      fmt(r.cpuUsPerCall?.front, 0), fmt(t === 'direct' ? null : r.cpuUsPerCall?.backend, 0)];
  }));
  console.log();
}

const k = runs.kuadrant;
if (Object.keys(k).length) {
  const any = Object.values(k)[0];
  console.log(`Kuadrant-style: ${any.sessions} concurrent clients, closed loop, zero-latency backend ` +
    '(Kuadrant publishes ~3.0 ms avg, ~7 ms p95 for its gateway)');
  table(['target', 'client', 'req/s', 'avg ms', 'p95 ms', 'p99 ms', 'added avg ms', 'added p95 ms'],
    targets('kuadrant').map((t) => {
      const r = k[t];
      const base = t === 'direct' ? null : k.direct;
      return [t, r.client ?? '-', fmt(r.rps, 0), fmt(r.latencyMs?.mean), fmt(r.latencyMs?.p95), fmt(r.latencyMs?.p99),
        fmt(diff(r.latencyMs?.mean, base?.latencyMs?.mean), 3), fmt(diff(r.latencyMs?.p95, base?.latencyMs?.p95), 3)];
    }));
  console.log();
}

const goals = [];
const ceilingRatio = ratio(c.broker?.rps, c['mcp-hub']?.rps);
goals.push(['broker ceiling >= 5x mcp-hub ceiling', ceilingRatio == null ? '-' : `${fmt(ceilingRatio)}x`,
  ceilingRatio == null ? 'not measured' : ceilingRatio >= 5 ? 'met' : 'NOT met']);
const sdkRatio = ratio(c['broker-sdk']?.rps, c['mcp-hub']?.rps);
if (sdkRatio != null) {
  goals.push(['  same, both driven by the SDK client', `${fmt(sdkRatio)}x`, sdkRatio >= 5 ? 'met' : 'NOT met']);
}
const addedP50 = diff(h.broker?.latencyMs?.p50, h.direct?.latencyMs?.p50);
goals.push(['broker added p50 <= 1 ms at half its ceiling', addedP50 == null ? '-' : `${fmt(addedP50, 3)} ms`,
  addedP50 == null ? 'not measured' : addedP50 <= 1 ? 'met' : 'NOT met']);
table(['goal (issue 14)', 'measured', 'verdict'], goals);

// When the broker's ceiling is close to direct's, or the generator ran flat out, the generator (not the broker) may
// have set the figure: then the broker's true ceiling is at least the one printed.
const notes = [];
for (const t of targets('ceiling')) {
  const g = cpuPercent(c[t], 'generator');
  if (g != null && g >= 90) notes.push(`${t}: the load generator used ${fmt(g, 0)}% of a CPU, so it may be the limit`);
}
if (c.broker?.rps && c.direct?.rps && c.broker.rps >= 0.9 * c.direct.rps) {
  notes.push('the broker reached >= 90% of the direct ceiling: its own ceiling is at least the figure printed');
}
for (const kind of Object.keys(runs)) {
  for (const [t, r] of Object.entries(runs[kind])) {
    if (r.error) notes.push(`${kind} ${t}: FAILED: ${r.error}`);
    else if (r.errors > 0) notes.push(`${kind} ${t}: ${r.errors} failed requests, first: ${r.firstError}`);
    if (kind === 'half' && r.rps && r.rate && r.rps < 0.95 * r.rate) {
      notes.push(`half ${t}: achieved ${fmt(r.rps, 0)}/s of ${r.rate}/s asked (generator or front fell behind)`);
    }
  }
}
notes.forEach((n) => console.log(`note: ${n}`));
