#!/usr/bin/env node
// Closed-loop MCP load generator for Manifold's benchmarks, on the official TypeScript SDK client.
// Opens N real MCP sessions over Streamable HTTP (initialize + notifications/initialized each), then every session
// calls one tool in a loop (one outstanding tools/call per session) for a fixed duration or a fixed total count.
// Each request is a full MCP tools/call over HTTP, and its result is checked (no isError; an echo must echo back).
// Latency is measured per request from send to parsed result. Prints ONE JSON document on stdout.
//
// Usage:
//   node mcp-load.mjs --url http://127.0.0.1:8080/mcp [--tool echo] [--args '{"message":"bench"}']
//        [--sessions 8] (--duration-s 10 | --requests 20000) [--warmup-s 2] [--label broker] [--timeout-ms 10000]
//        [--transport streamable-http|sse]   (sse = legacy HTTP+SSE, only for peers without Streamable HTTP)
//
// Output: {"label","url","tool","sessions","measuredSeconds","requests","errors","firstError","rps",
//          "latencyMs":{"mean","p50","p90","p99","max"}}
// Exit status: 0 when every measured request succeeded, 1 when any failed or no session could be opened, 2 usage.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

const USAGE =
  'usage: mcp-load.mjs --url <mcp-url> [--tool echo] [--args <json>] [--sessions N] ' +
  '(--duration-s S | --requests N) [--warmup-s S] [--label L] [--timeout-ms N] [--transport streamable-http|sse]';

function parseArgs(argv) {
  const o = { url: null, tool: 'echo', args: null, sessions: 8, durationS: null, requests: null, warmupS: 2,
    label: null, timeoutMs: 10000, transport: 'streamable-http' };
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

async function openSession(o, i) {
  const client = new Client({ name: `manifold-load-${i}`, version: '1.0.0' });
  const transport = makeTransport(o);
  await client.connect(transport, { timeout: o.timeoutMs });
  return { client, transport };
}

// Streamable HTTP is the transport under test. `--transport sse` selects the legacy HTTP+SSE transport (2024-11-05)
// only for peers that offer nothing else on their client side (mcp-hub 4.2.1's unified /mcp endpoint).
function makeTransport(o) {
  if (o.transport === 'streamable-http') return new StreamableHTTPClientTransport(new URL(o.url));
  if (o.transport === 'sse') return new SSEClientTransport(new URL(o.url));
  throw new Error(`--transport must be streamable-http or sse, not '${o.transport}'`);
}

async function terminate(transport) {
  // Streamable HTTP: DELETE the session. Legacy SSE has no DELETE; closing the stream ends the session.
  if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) await transport.terminateSession();
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }

  let sessions;
  try {
    sessions = await Promise.all(Array.from({ length: o.sessions }, (_, i) => openSession(o, i)));
  } catch (e) {
    const msg = `${e?.message ?? e}${e?.cause ? `: ${e.cause.message ?? e.cause}` : ''}`;
    process.stdout.write(`${JSON.stringify({ label: o.label, url: o.url, error: `session open failed: ${msg}` })}\n`);
    process.exit(1);
  }

  const latencies = [];
  let errors = 0;
  let firstError = null;
  let measuring = o.warmupS === 0;
  let stop = false;
  let issued = 0; // measured requests started (for --requests)
  let measureStart = measuring ? process.hrtime.bigint() : null;

  const loop = async (s) => {
    while (!stop) {
      const measured = measuring;
      if (measured && o.requests !== null) {
        if (issued >= o.requests) break;
        issued++;
      }
      const t0 = process.hrtime.bigint();
      let err = null;
      try {
        const r = await s.client.callTool({ name: o.tool, arguments: o.args }, CallToolResultSchema, {
          timeout: o.timeoutMs,
        });
        err = checkResult(o, r);
      } catch (e) {
        err = String(e?.message ?? e);
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (!measured || stop) continue; // started in warm-up, or finished after the window closed
      if (err) {
        errors++;
        firstError ??= err;
      } else latencies.push(ms);
    }
  };

  const loops = sessions.map(loop);
  if (o.warmupS > 0) {
    await new Promise((r) => setTimeout(r, o.warmupS * 1000));
    measuring = true;
    measureStart = process.hrtime.bigint();
  }
  let measureEnd;
  if (o.durationS !== null) {
    await new Promise((r) => setTimeout(r, o.durationS * 1000));
    measureEnd = process.hrtime.bigint();
    stop = true;
    await Promise.all(loops);
  } else {
    await Promise.all(loops);
    measureEnd = process.hrtime.bigint();
  }

  await Promise.all(
    sessions.map(async (s) => {
      try {
        await terminate(s.transport);
        await s.client.close();
      } catch {
        /* best effort */
      }
    }),
  );

  const seconds = Number(measureEnd - measureStart) / 1e9;
  latencies.sort((a, b) => a - b);
  const mean = latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : null;
  const out = {
    label: o.label,
    url: o.url,
    transport: o.transport,
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
      p99: round(percentile(latencies, 99)),
      max: round(latencies.length ? latencies[latencies.length - 1] : null),
    },
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(errors > 0 || latencies.length === 0 ? 1 : 0);
}

await main();
