#!/usr/bin/env node
// MCP load generator for Manifold's benchmarks. Opens N real MCP sessions (initialize + notifications/initialized
// each), then calls one tool for a fixed duration or a fixed total count, either
//   closed loop (default): every session keeps one tools/call outstanding, so the front is driven to its ceiling; or
//   open loop (--rate R): R calls per second are started on schedule, each on a free session; when none is free the
//     call waits, and its latency counts from its scheduled start (no coordinated omission); otherwise from its send.
// Each request is a full MCP tools/call over HTTP, and its result is checked (no isError; an echo must echo back).
// Latency is measured per request from send (or scheduled send) to parsed result. Prints ONE JSON document on stdout.
//
// Two clients:
//   sdk (default)  the official TypeScript SDK client (Streamable HTTP, or legacy HTTP+SSE with --transport sse);
//   raw            hand-built JSON-RPC POSTs on node:http keep-alive connections (Streamable HTTP only; JSON or SSE
//                  answers): the same MCP exchanges at a fraction of the SDK's client-side CPU, so that a fast front
//                  is not hidden behind the load generator's own cost.
//
// Usage:
//   node mcp-load.mjs --url http://127.0.0.1:8080/mcp [--tool echo] [--args '{"message":"bench"}']
//        [--sessions 8] (--duration-s 10 | --requests 20000) [--warmup-s 2] [--label broker] [--timeout-ms 10000]
//        [--transport streamable-http|sse]   (sse = legacy HTTP+SSE, only for peers without Streamable HTTP)
//        [--client sdk|raw] [--rate <calls/s>] [--cpu-pids name=pid,...] [--clk-tck 100]
//
// --cpu-pids: the utime+stime of each process (/proc/<pid>/stat fields 14 and 15, in --clk-tck ticks per second)
// is read when the measured window opens and when it closes; the output gives its CPU µs per measured call.
//
// Output: {"label","url","client","mode","rate","tool","sessions","measuredSeconds","requests","errors","firstError",
//          "rps","latencyMs":{"mean","p50","p90","p95","p99","max"},"cpuUsPerCall":{"<name>":..,"generator":..}}
// Exit status: 0 when every measured request succeeded, 1 when any failed or no session could be opened, 2 usage.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { Agent, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';

const USAGE =
  'usage: mcp-load.mjs --url <mcp-url> [--tool echo] [--args <json>] [--sessions N] ' +
  '(--duration-s S | --requests N) [--warmup-s S] [--label L] [--timeout-ms N] [--transport streamable-http|sse] ' +
  '[--client sdk|raw] [--rate R] [--cpu-pids name=pid,...] [--clk-tck 100]';

function parseArgs(argv) {
  const o = { url: null, tool: 'echo', args: null, sessions: 8, durationS: null, requests: null, warmupS: 2,
    label: null, timeoutMs: 10000, transport: 'streamable-http', client: 'sdk', rate: null, cpuPids: {}, clkTck: 100 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value\n${USAGE}`);
      return argv[++i];
    };
    switch (a) {
      case '--url': o.url = v(); break;
      case '--tool': o.tool = v(); break;
      case '--args': o.args = JSON.parse(v()); break;
      case '--sessions': o.sessions = Number(v()); break;
      case '--duration-s': o.durationS = Number(v()); break;
      case '--requests': o.requests = Number(v()); break;
      case '--warmup-s': o.warmupS = Number(v()); break;
      case '--label': o.label = v(); break;
      case '--timeout-ms': o.timeoutMs = Number(v()); break;
      case '--transport': o.transport = v(); break;
      case '--client': o.client = v(); break;
      case '--rate': o.rate = Number(v()); break;
      case '--cpu-pids':
        for (const kv of v().split(',').filter(Boolean)) {
          const [name, pid] = kv.split('=');
          if (!name || !/^[0-9]+$/.test(pid ?? '')) throw new Error(`--cpu-pids wants name=pid,..., not '${kv}'`);
          o.cpuPids[name] = pid;
        }
        break;
      case '--clk-tck': o.clkTck = Number(v()); break;
      default: throw new Error(`unknown argument '${a}'\n${USAGE}`);
    }
  }
  if (!o.url) throw new Error(USAGE);
  if (!['streamable-http', 'sse'].includes(o.transport)) throw new Error('--transport must be streamable-http or sse');
  if (!(Number.isInteger(o.sessions) && o.sessions > 0)) throw new Error('--sessions must be a positive integer');
  if ((o.durationS === null) === (o.requests === null)) throw new Error(`give exactly one of --duration-s, --requests\n${USAGE}`);
  if (o.durationS !== null && !(o.durationS > 0)) throw new Error('--duration-s must be > 0');
  if (o.requests !== null && !(Number.isInteger(o.requests) && o.requests > 0)) throw new Error('--requests must be a positive integer');
  if (!(o.warmupS >= 0)) throw new Error('--warmup-s must be >= 0');
  if (!['sdk', 'raw'].includes(o.client)) throw new Error('--client must be sdk or raw');
  if (o.client === 'raw' && o.transport !== 'streamable-http') throw new Error('--client raw speaks Streamable HTTP only');
  if (o.rate !== null && !(o.rate > 0)) throw new Error('--rate must be > 0');
  if (!(o.clkTck > 0)) throw new Error('--clk-tck must be > 0');
  if (o.args === null) o.args = o.tool.endsWith('echo') ? { message: 'manifold-bench' } : {};
  return o;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length); // nearest-rank
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const round = (x) => (x === null ? null : Math.round(x * 1000) / 1000);

function checkResult(o, result) {
  if (result.isError) return `tool returned isError: ${JSON.stringify(result.content).slice(0, 200)}`;
  if (o.tool.endsWith('echo') && typeof o.args.message === 'string') {
    const text = (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('');
    if (!text.includes(o.args.message)) return `echo result does not contain the message: ${text.slice(0, 200)}`;
  }
  return null;
}

// A session of the SDK client: call() resolves to null on success or to the failure's text.
async function openSdkSession(o, i) {
  const client = new Client({ name: `manifold-load-${i}`, version: '1.0.0' });
  const transport = makeTransport(o);
  await client.connect(transport, { timeout: o.timeoutMs });
  return {
    async call() {
      const r = await client.callTool({ name: o.tool, arguments: o.args }, CallToolResultSchema, { timeout: o.timeoutMs });
      return checkResult(o, r);
    },
    async close() {
      // Streamable HTTP: DELETE the session. Legacy SSE has no DELETE; closing the stream ends the session.
      if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) await transport.terminateSession();
      await client.close();
    },
  };
}

// Streamable HTTP is the transport under test. `--transport sse` selects the legacy HTTP+SSE transport (2024-11-05)
// only for peers that offer nothing else on their client side (mcp-hub 4.2.1's unified /mcp endpoint).
function makeTransport(o) {
  if (o.transport === 'streamable-http') return new StreamableHTTPClientTransport(new URL(o.url));
  if (o.transport === 'sse') return new SSEClientTransport(new URL(o.url));
  throw new Error(`--transport must be streamable-http or sse, not '${o.transport}'`);
}

const RAW_PROTOCOL_VERSION = '2025-06-18';

// One HTTP exchange of the raw client: resolves to {status, headers, body} (body as a string).
function rawExchange(o, agent, method, headers, body) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(o.url, { method, agent, headers, timeout: o.timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

// The JSON-RPC answer with this id, from a JSON body or from the events of an SSE body.
function rawAnswer(res, id) {
  const type = res.headers['content-type'] ?? '';
  if (!type.includes('text/event-stream')) return JSON.parse(res.body);
  for (const event of res.body.split(/\r?\n\r?\n/)) {
    const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
    if (!data) continue;
    const msg = JSON.parse(data);
    if (msg.id === id && (msg.result !== undefined || msg.error !== undefined)) return msg;
  }
  throw new Error(`no answer to request ${id} in the event stream`);
}

// A session of the raw client: the same exchanges the SDK makes (initialize, notifications/initialized, tools/call,
// DELETE), built by hand on a keep-alive connection pool shared by all sessions.
async function openRawSession(o, i, agent) {
  const base = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
  const init = await rawExchange(o, agent, 'POST', base, JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize',
    params: { protocolVersion: RAW_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: `manifold-load-${i}`, version: '1.0.0' } } }));
  if (init.status !== 200) throw new Error(`initialize: HTTP ${init.status} ${init.body.slice(0, 200)}`);
  const initAnswer = rawAnswer(init, 0);
  if (initAnswer.error) throw new Error(`initialize: ${JSON.stringify(initAnswer.error)}`);
  const headers = { ...base, 'MCP-Protocol-Version': initAnswer.result.protocolVersion };
  const sessionId = init.headers['mcp-session-id'];
  if (sessionId) headers['Mcp-Session-Id'] = sessionId;
  const note = await rawExchange(o, agent, 'POST', headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  if (note.status !== 202 && note.status !== 200) throw new Error(`notifications/initialized: HTTP ${note.status}`);
  let nextId = 1;
  return {
    async call() {
      const id = nextId++;
      const res = await rawExchange(o, agent, 'POST', headers,
        JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: o.tool, arguments: o.args } }));
      if (res.status !== 200) return `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
      const msg = rawAnswer(res, id);
      if (msg.error) return `JSON-RPC error ${JSON.stringify(msg.error).slice(0, 200)}`;
      return checkResult(o, msg.result);
    },
    async close() {
      if (sessionId) await rawExchange(o, agent, 'DELETE', headers);
    },
  };
}

// utime + stime of a process in seconds (/proc/<pid>/stat fields 14 and 15; the name in field 2 may hold spaces).
function cpuSeconds(pid, clkTck) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3
  return (Number(fields[11]) + Number(fields[12])) / clkTck;
}

function cpuSnapshot(o) {
  const snap = {};
  for (const [name, pid] of Object.entries(o.cpuPids)) snap[name] = cpuSeconds(pid, o.clkTck);
  const self = process.cpuUsage();
  snap.generator = (self.user + self.system) / 1e6;
  return snap;
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }

  const agent = new Agent({ keepAlive: true, maxSockets: o.sessions });
  let sessions;
  try {
    sessions = await Promise.all(Array.from({ length: o.sessions },
      (_, i) => (o.client === 'raw' ? openRawSession(o, i, agent) : openSdkSession(o, i))));
  } catch (e) {
    const msg = `${e?.message ?? e}${e?.cause ? `: ${e.cause.message ?? e.cause}` : ''}`;
    process.stdout.write(`${JSON.stringify({ label: o.label, url: o.url, error: `session open failed: ${msg}` })}\n`);
    process.exit(1);
  }

  const latencies = [];
  let errors = 0;
  let firstError = null;
  let measuring = false;
  let stop = false;
  let issued = 0; // measured requests started (for --requests)
  let measureStart = null;
  let cpuBefore = null;
  const openWindow = () => {
    measuring = true;
    measureStart = process.hrtime.bigint();
    cpuBefore = cpuSnapshot(o);
  };

  // One call from its start time t0 (the scheduled start in open loop): counted only when the window was open at t0
  // and is still open at the end.
  const timedCall = async (s, t0, measured) => {
    let err = null;
    try {
      err = await s.call();
    } catch (e) {
      err = String(e?.message ?? e);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (!measured || stop) return; // started in warm-up, or finished after the window closed
    if (err) {
      errors++;
      firstError ??= err;
    } else latencies.push(ms);
  };
  // Takes a measured slot; false when --requests is used up.
  const claim = () => {
    if (!measuring || o.requests === null) return true;
    if (issued >= o.requests) return false;
    issued++;
    return true;
  };

  let done;
  if (o.rate === null) {
    const loop = async (s) => {
      while (!stop) {
        const measured = measuring;
        if (!claim()) break;
        await timedCall(s, process.hrtime.bigint(), measured);
      }
    };
    done = Promise.all(sessions.map(loop));
  } else {
    // Open loop: the k-th call is due at start + k/rate. A timer wakes every millisecond and starts every call that
    // is due; a due call with no free session waits in `backlog` and keeps its scheduled time.
    const idle = [...sessions];
    const backlog = [];
    const inFlight = new Set();
    const t0 = process.hrtime.bigint();
    let scheduled = 0;
    const start = (s, due, measured) => {
      const p = timedCall(s, due, measured).then(() => {
        inFlight.delete(p);
        const next = backlog.shift();
        if (next && !stop) start(s, next.due, next.measured);
        else idle.push(s);
      });
      inFlight.add(p);
    };
    done = new Promise((resolve) => {
      const tick = () => {
        if (stop) {
          backlog.length = 0;
          Promise.all([...inFlight]).then(resolve);
          return;
        }
        const elapsedS = Number(process.hrtime.bigint() - t0) / 1e9;
        while (scheduled < Math.floor(elapsedS * o.rate)) {
          const due = t0 + BigInt(Math.round((scheduled / o.rate) * 1e9));
          scheduled++;
          const measured = measuring;
          if (!claim()) {
            stop = true;
            break;
          }
          // A call that finds a free session counts from now: the timer's lag is the generator's, not the front's.
          // One that must wait for a session keeps its scheduled time, so a slow front is charged for the wait.
          const s = idle.pop();
          if (s) start(s, process.hrtime.bigint(), measured);
          else backlog.push({ due, measured });
        }
        setTimeout(tick, 1);
      };
      tick();
    });
  }

  if (o.warmupS > 0) await new Promise((r) => setTimeout(r, o.warmupS * 1000));
  openWindow();
  let measureEnd;
  let cpuAfter;
  if (o.durationS !== null) {
    await new Promise((r) => setTimeout(r, o.durationS * 1000));
    measureEnd = process.hrtime.bigint();
    cpuAfter = cpuSnapshot(o);
    stop = true;
    await done;
  } else {
    await done;
    measureEnd = process.hrtime.bigint();
    cpuAfter = cpuSnapshot(o);
  }

  await Promise.all(
    sessions.map(async (s) => {
      try {
        await s.close();
      } catch {
        /* best effort */
      }
    }),
  );
  agent.destroy();

  const seconds = Number(measureEnd - measureStart) / 1e9;
  latencies.sort((a, b) => a - b);
  const mean = latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : null;
  const calls = latencies.length + errors;
  const cpuUsPerCall = Object.fromEntries(Object.keys(cpuBefore).map((name) =>
    [name, calls ? round(((cpuAfter[name] - cpuBefore[name]) * 1e6) / calls) : null]));
  const out = {
    label: o.label,
    url: o.url,
    transport: o.transport,
    client: o.client,
    mode: o.rate === null ? 'closed' : 'open',
    rate: o.rate,
    tool: o.tool,
    sessions: o.sessions,
    measuredSeconds: round(seconds),
    requests: latencies.length,
    errors,
    firstError,
    rps: round(latencies.length / seconds),
    latencyMs: {
      mean: round(mean),
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p95: round(percentile(latencies, 95)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.length ? latencies[latencies.length - 1] : null),
    },
    cpuUsPerCall,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(errors > 0 || latencies.length === 0 ? 1 : 0);
}

await main();
