#!/usr/bin/env node
// A small MCP client CLI on the official TypeScript SDK (StreamableHTTPClientTransport) for Manifold's Java ITs.
// It opens one real MCP session (initialize + notifications/initialized), runs the requested operations in order,
// prints ONE JSON document on stdout and closes the session (DELETE). Diagnostics go to stderr only.
//
// Usage:
//   node mcp-client.mjs --url http://127.0.0.1:8080/mcp tools
//   node mcp-client.mjs --url http://127.0.0.1:8080/mcp call <tool> '<json arguments>'
//   node mcp-client.mjs --url ... tools call alpha_echo '{"message":"hi"}'     (both, in one session)
//   node mcp-client.mjs --url ... watch-list-changed <settle-ms> <max-ms> tools
//       opens the session's GET stream, prints the line MCP-CLIENT-WATCHING on stderr, then waits up to max-ms for
//       notifications/tools/list_changed; after the first one it keeps counting for settle-ms (to catch duplicates)
//
// Output: {"serverInfo":{...},"protocolVersion":"...","tools":[...],"toolPages":N,"call":{<CallToolResult as sent>}}
//   "tools" and "toolPages" appear when `tools` was requested (pagination is followed until nextCursor is absent);
//   "call" is the tools/call result exactly as the server sent it (content, structuredContent, isError, _meta);
//   "listChanged": {"count","firstAfterMs"} for watch-list-changed (count 0 when none arrived within max-ms).
// Exit status: 0 on success (a tool result with isError=true is still a success: it is the server's answer),
//   1 on a protocol/transport error (printed as {"error":{...}} on stdout and on stderr) or when the closing DELETE
//   failed (printed as {"deleteError":{...}}), 2 on bad usage.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CallToolResultSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

const USAGE = 'usage: mcp-client.mjs --url <mcp-url> [--transport streamable-http|sse] [--timeout-ms N] [--capabilities <json>] ' +
  '(tools | call <tool> <json-args> | watch-list-changed <settle-ms> <max-ms>)...';
const WATCHING_MARKER = 'MCP-CLIENT-WATCHING';

function parseArgs(argv) {
  const opts = { url: null, transport: 'streamable-http', timeoutMs: 30000, ops: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--url') opts.url = argv[++i];
    else if (a === '--timeout-ms') opts.timeoutMs = Number(argv[++i]);
    else if (a === '--transport') opts.transport = argv[++i];
    else if (a === '--capabilities') opts.capabilities = JSON.parse(argv[++i]);
    else if (a === 'tools') opts.ops.push({ op: 'tools' });
    else if (a === 'call') {
      const name = argv[++i];
      const raw = argv[++i];
      if (!name || raw === undefined) throw new Error(`call needs <tool> <json-args>\n${USAGE}`);
      let args;
      try {
        args = JSON.parse(raw);
      } catch (e) {
        throw new Error(`call ${name}: arguments are not JSON: ${e.message}`);
      }
      opts.ops.push({ op: 'call', name, args });
    } else if (a === 'watch-list-changed') {
      const settleMs = Number(argv[++i]);
      const maxMs = Number(argv[++i]);
      if (!(settleMs >= 0) || !(maxMs > 0)) throw new Error(`watch-list-changed needs <settle-ms> <max-ms>\n${USAGE}`);
      opts.ops.push({ op: 'watch', settleMs, maxMs });
    } else throw new Error(`unknown argument '${a}'\n${USAGE}`);
  }
  if (!opts.url || opts.ops.length === 0 || !(opts.timeoutMs > 0)) throw new Error(USAGE);
  return opts;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function listAllTools(client, timeout) {
  const tools = [];
  let cursor;
  let pages = 0;
  const seenCursors = new Set();
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout });
    pages++;
    tools.push(...page.tools);
    cursor = page.nextCursor;
    if (cursor !== undefined) {
      if (seenCursors.has(cursor)) throw new Error(`tools/list pagination loops: cursor '${cursor}' seen twice`);
      seenCursors.add(cursor);
    }
  } while (cursor !== undefined);
  return { tools, pages };
}

// Streamable HTTP is the transport under test. `--transport sse` selects the legacy HTTP+SSE transport (2024-11-05)
// only for peers that offer nothing else on their client side (mcp-hub 4.2.1's unified /mcp endpoint).
// Resolved once the server accepts the session's standalone GET stream (where server notifications arrive).
let streamOpened;
const streamOpen = new Promise((resolve) => {
  streamOpened = resolve;
});

async function watchingFetch(url, init) {
  const response = await fetch(url, init);
  if ((init?.method ?? 'GET') === 'GET' && response.ok
      && (response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    streamOpened();
  }
  return response;
}

function makeTransport(o) {
  if (o.transport === 'streamable-http') return new StreamableHTTPClientTransport(new URL(o.url), { fetch: watchingFetch });
  if (o.transport === 'sse') return new SSEClientTransport(new URL(o.url));
  throw new Error(`--transport must be streamable-http or sse, not '${o.transport}'`);
}

async function terminate(transport) {
  // Streamable HTTP: DELETE the session. Legacy SSE has no DELETE; closing the stream ends the session.
  if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) await transport.terminateSession();
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  const out = {};
  // --capabilities: what the client declares at initialize (some servers list tools by client capabilities)
  const client = new Client({ name: 'manifold-it-client', version: '1.0.0' },
    opts.capabilities ? { capabilities: opts.capabilities } : undefined);
  let transport;
  try {
    transport = makeTransport(opts);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  let listChanged = 0;
  let firstListChangedAt = null;
  let onListChanged = () => {};
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    listChanged++;
    firstListChangedAt ??= Date.now();
    onListChanged();
  });
  try {
    await client.connect(transport, { timeout: opts.timeoutMs });
    out.serverInfo = client.getServerVersion();
    out.protocolVersion = transport.protocolVersion ?? null;
    out.sessionId = transport.sessionId ?? null;
    for (const op of opts.ops) {
      if (op.op === 'tools') {
        const { tools, pages } = await listAllTools(client, opts.timeoutMs);
        out.tools = tools;
        out.toolPages = pages;
      } else if (op.op === 'watch') {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`the server opened no GET stream within ${op.maxMs}ms`)),
            op.maxMs);
          streamOpen.then(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        const since = Date.now();
        listChanged = 0;
        firstListChangedAt = null;
        process.stderr.write(`${WATCHING_MARKER}\n`);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, op.maxMs);
          onListChanged = () => {
            clearTimeout(timer);
            resolve();
          };
          if (listChanged > 0) onListChanged();
        });
        onListChanged = () => {};
        if (listChanged > 0) await sleep(op.settleMs);
        out.listChanged = { count: listChanged, firstAfterMs: firstListChangedAt === null ? null : firstListChangedAt - since };
      } else {
        out.call = await client.callTool({ name: op.name, arguments: op.args }, CallToolResultSchema, {
          timeout: opts.timeoutMs,
        });
      }
    }
  } catch (e) {
    const cause = e?.cause ? `: ${e.cause.code ?? ''} ${e.cause.message ?? e.cause}`.trimEnd() : '';
    out.error = { message: `${e?.message ?? e}${cause}`, code: e?.code ?? null, data: e?.data ?? null };
    process.stderr.write(`mcp-client: ${out.error.message}\n`);
  }
  const deleteError = await closeSession(transport, client);
  if (deleteError) out.deleteError = deleteError;
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(out.error || out.deleteError ? 1 : 0);
}

// Ends the session the way a well-behaved client does (DELETE for Streamable HTTP). A failed DELETE (anything but
// 2xx or 405, which the spec allows) is reported as `deleteError` and makes the exit status 1.
async function closeSession(transport, client) {
  let error = null;
  try {
    await terminate(transport);
  } catch (e) {
    error = { message: String(e?.message ?? e), code: e?.code ?? null };
    process.stderr.write(`mcp-client: session DELETE failed: ${error.message}\n`);
  }
  try {
    await client.close();
  } catch {
    /* already closed */
  }
  return error;
}

await main();
