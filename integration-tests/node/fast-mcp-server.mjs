#!/usr/bin/env node
// A minimal, fast MCP Streamable HTTP server for benchmarks: a backend that costs next to nothing, so that a gateway
// in front of it shows its own cost. Plain node:http, no SDK and no schema validation in the request path.
// It is stateful: `initialize` issues an `Mcp-Session-Id`, every later request must carry one it issued (404
// otherwise), DELETE ends the session. It answers `initialize`, `notifications/initialized` (202), `ping`,
// `tools/list` (one tool, `echo`) and `tools/call` of `echo`, every answer as one `application/json` body; GET
// (server-to-client stream) answers 405, as the spec allows. It never logs per request.
//
// Usage: node fast-mcp-server.mjs --port 0 [--host 127.0.0.1]
// Prints `FAST-MCP-LISTENING <port>` on stdout once it listens.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const port = Number(opt('--port', process.env.PORT ?? '0'));
const host = opt('--host', '127.0.0.1');

const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
const ECHO_TOOL = {
  name: 'echo',
  description: 'Echoes back the input',
  inputSchema: {
    type: 'object',
    properties: { message: { type: 'string', description: 'Message to echo' } },
    required: ['message'],
  },
};
const sessions = new Set();

function send(res, status, body, headers = {}) {
  const payload = body === null ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    ...(body === null ? {} : { 'Content-Type': 'application/json' }),
    'Content-Length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

const result = (id, r) => ({ jsonrpc: '2.0', id, result: r });
const error = (id, code, message) => ({ jsonrpc: '2.0', id: id ?? null, error: { code, message } });

function answer(msg, sessionId) {
  switch (msg.method) {
    case 'ping':
      return result(msg.id, {});
    case 'tools/list':
      return result(msg.id, { tools: [ECHO_TOOL] });
    case 'tools/call': {
      if (msg.params?.name !== 'echo') return error(msg.id, -32602, `Unknown tool: ${msg.params?.name}`);
      const text = `Echo: ${msg.params?.arguments?.message ?? ''}`;
      return result(msg.id, { content: [{ type: 'text', text }] });
    }
    default:
      return error(msg.id, -32601, `Method not found: ${msg.method} (session ${sessionId})`);
  }
}

function handlePost(req, res, body) {
  let msg;
  try {
    msg = JSON.parse(body);
  } catch {
    send(res, 400, error(null, -32700, 'Parse error'));
    return;
  }
  if (Array.isArray(msg)) {
    send(res, 400, error(null, -32600, 'Batches are not supported'));
    return;
  }
  if (msg.method === 'initialize') {
    const sessionId = randomUUID();
    sessions.add(sessionId);
    const asked = msg.params?.protocolVersion;
    send(res, 200, result(msg.id, {
      protocolVersion: PROTOCOL_VERSIONS.includes(asked) ? asked : PROTOCOL_VERSIONS[0],
      capabilities: { tools: { listChanged: false } },
      serverInfo: { name: 'manifold-fast-backend', version: '1.0.0' },
    }), { 'Mcp-Session-Id': sessionId });
    return;
  }
  const sessionId = req.headers['mcp-session-id'];
  if (!sessionId) {
    send(res, 400, error(msg.id, -32000, 'Bad Request: Mcp-Session-Id header is required'));
    return;
  }
  if (!sessions.has(sessionId)) {
    send(res, 404, error(msg.id, -32001, 'Session not found'));
    return;
  }
  if (msg.id === undefined) { // a notification or a response: accepted, nothing to answer
    send(res, 202, null);
    return;
  }
  send(res, 200, answer(msg, sessionId));
}

const server = createServer((req, res) => {
  if (req.url !== '/mcp' && !req.url.startsWith('/mcp?')) {
    send(res, 404, error(null, -32600, 'Not found'));
    return;
  }
  if (req.method === 'POST') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => handlePost(req, res, chunks.length === 1 ? chunks[0].toString() : Buffer.concat(chunks).toString()));
    return;
  }
  if (req.method === 'DELETE') {
    const sessionId = req.headers['mcp-session-id'];
    send(res, sessions.delete(sessionId) ? 200 : 404, null);
    return;
  }
  send(res, 405, null, { Allow: 'POST, DELETE' });
});
server.keepAliveTimeout = 60_000;
server.listen(port, host, () => {
  process.stdout.write(`FAST-MCP-LISTENING ${server.address().port}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections(); // keep-alive connections would otherwise hold close() open
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
