#!/usr/bin/env node
// The conformance fixture: an MCP server, written with the official TypeScript SDK (McpServer +
// StreamableHTTPServerTransport, stateful sessions), that implements everything the official conformance suite
// (@modelcontextprotocol/conformance, `server` mode) asks of a server: its tools, prompts, resources, resource
// template, completion, logging and subscriptions. ConformanceIT runs the suite against it directly and through the
// broker, and compares the two.
//
//   node conformance-fixture.mjs [--port <port>]      (or PORT=<port>; 0 or absent = an ephemeral port)
//
// Serves http://127.0.0.1:<port>/mcp and prints `conformance-fixture listening on http://127.0.0.1:<port>/mcp`
// on stdout once it accepts connections. One line per HTTP request goes to stderr.
// What each scenario expects, and why each piece below exists, is in CONFORMANCE-NOTES.md.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { deflateSync } from 'node:zlib';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import {
  isInitializeRequest,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod/v4';

const HOST = '127.0.0.1';
const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const JSON_SCHEMA_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

// ---------------------------------------------------------------------------------------------------------------
// Test media, generated here: a 1x1 red PNG and a short silent 8 kHz mono 16-bit WAV.

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

function redPixelPng() {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0); // width
  header.writeUInt32BE(1, 4); // height
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const scanline = Buffer.from([0, 0xff, 0x00, 0x00]); // filter byte 0, then one red pixel
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(scanline)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]).toString('base64');
}

function silentWav(samples = 800) {
  const dataBytes = samples * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(8000, 24); // sample rate
  wav.writeUInt32LE(16000, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  return wav.toString('base64');
}

const PNG = redPixelPng();
const WAV = silentWav();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (t) => ({ type: 'text', text: t });

// ---------------------------------------------------------------------------------------------------------------
// Resumability: an in-memory event store per session, so the transport sends priming events (id + retry) and can
// replay a stream after Last-Event-ID. Event ids are `<streamId>|<sequence>`.

class MemoryEventStore {
  constructor() {
    this.events = []; // { id, streamId, message }
    this.sequence = 0;
  }

  async storeEvent(streamId, message) {
    const id = `${streamId}|${++this.sequence}`;
    this.events.push({ id, streamId, message });
    if (this.events.length > 1000) this.events.shift();
    return id;
  }

  async getStreamIdForEventId(eventId) {
    const i = eventId.lastIndexOf('|');
    return i < 0 ? undefined : eventId.slice(0, i);
  }

  async replayEventsAfter(lastEventId, { send }) {
    const streamId = await this.getStreamIdForEventId(lastEventId);
    if (streamId === undefined) throw new Error(`unknown event id ${lastEventId}`);
    const from = this.events.findIndex((e) => e.id === lastEventId);
    for (const e of this.events.slice(from + 1)) {
      // Priming events are stored as {} and carry no message: skip them on replay.
      if (e.streamId === streamId && e.message && Object.keys(e.message).length > 0) await send(e.id, e.message);
    }
    return streamId;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One McpServer per session (an McpServer serves one transport).

function buildServer(sessionState) {
  const mcp = new McpServer(
    { name: 'manifold-conformance-fixture', version: '1.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        logging: {},
        completions: {},
      },
      instructions: 'Conformance fixture for the MCP conformance suite (server mode).',
    },
  );

  // Logging: our own setLevel, so that the tools below can filter the notifications they send on the request's
  // own stream (the SDK's sendLoggingMessage would send them on the standalone GET stream instead).
  mcp.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    sessionState.logLevel = request.params.level;
    return {};
  });
  const log = async (extra, level, data) => {
    if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(sessionState.logLevel)) return;
    await extra.sendNotification({
      method: 'notifications/message',
      params: { level, logger: 'conformance-fixture', data },
    });
  };

  // Subscriptions: tracked per session; the static resources never change, so no update is ever due.
  mcp.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    sessionState.subscriptions.add(request.params.uri);
    return {};
  });
  mcp.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    sessionState.subscriptions.delete(request.params.uri);
    return {};
  });

  // ----- tools -----
  mcp.registerTool(
    'test_simple_text',
    { description: 'Returns a simple text content item.' },
    async () => ({ content: [text('This is a simple text response for testing.')] }),
  );

  mcp.registerTool(
    'test_image_content',
    { description: 'Returns a 1x1 red PNG as image content.' },
    async () => ({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] }),
  );

  mcp.registerTool(
    'test_audio_content',
    { description: 'Returns a short silent WAV as audio content.' },
    async () => ({ content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] }),
  );

  mcp.registerTool(
    'test_embedded_resource',
    { description: 'Returns an embedded text resource.' },
    async () => ({
      content: [
        {
          type: 'resource',
          resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' },
        },
      ],
    }),
  );

  mcp.registerTool(
    'test_multiple_content_types',
    { description: 'Returns text, image and embedded resource content together.' },
    async () => ({
      content: [
        text('Multiple content types test:'),
        { type: 'image', data: PNG, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  );

  mcp.registerTool(
    'test_tool_with_logging',
    { description: 'Sends three info log notifications, 50 ms apart, while it runs.' },
    async (extra) => {
      await log(extra, 'info', 'Tool execution started');
      await sleep(50);
      await log(extra, 'info', 'Tool processing data');
      await sleep(50);
      await log(extra, 'info', 'Tool execution completed');
      return { content: [text('Tool with logging executed successfully')] };
    },
  );

  mcp.registerTool(
    'test_error_handling',
    { description: 'Always fails: returns a tool result with isError true.' },
    async () => ({ isError: true, content: [text('This tool intentionally returns an error for testing')] }),
  );

  mcp.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50 and 100 of 100 when the request carries a progress token.' },
    async (extra) => {
      const progressToken = extra._meta?.progressToken;
      for (const [i, progress] of [0, 50, 100].entries()) {
        if (i > 0) await sleep(50);
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress, total: 100, message: `Completed step ${i + 1} of 3` },
          });
        }
      }
      return { content: [text(`Tool with progress executed successfully (progressToken: ${JSON.stringify(progressToken ?? null)})`)] };
    },
  );

  mcp.registerTool(
    'test_sampling',
    {
      description: 'Asks the client for an LLM completion of the prompt (sampling/createMessage).',
      inputSchema: { prompt: z.string().describe('The prompt to send to the LLM') },
    },
    async ({ prompt }, extra) => {
      if (!mcp.server.getClientCapabilities()?.sampling) {
        return { isError: true, content: [text('The client does not support sampling')] };
      }
      const result = await mcp.server.createMessage(
        { messages: [{ role: 'user', content: text(prompt) }], maxTokens: 100 },
        { relatedRequestId: extra.requestId },
      );
      const answer = result.content?.type === 'text' ? result.content.text : JSON.stringify(result.content);
      return { content: [text(`LLM response: ${answer}`)] };
    },
  );

  const elicit = async (extra, params) => {
    if (!mcp.server.getClientCapabilities()?.elicitation) {
      return { isError: true, content: [text('The client does not support elicitation')] };
    }
    const result = await mcp.server.elicitInput(params, { relatedRequestId: extra.requestId });
    return { result };
  };

  mcp.registerTool(
    'test_elicitation',
    {
      description: 'Asks the user for a username and an email (elicitation/create).',
      inputSchema: { message: z.string().describe('The message to show the user') },
    },
    async ({ message }, extra) => {
      const r = await elicit(extra, {
        message,
        requestedSchema: {
          type: 'object',
          properties: {
            username: { type: 'string', description: "User's response" },
            email: { type: 'string', description: "User's email address" },
          },
          required: ['username', 'email'],
        },
      });
      if (!r.result) return r;
      return { content: [text(`User response: action=${r.result.action}, content=${JSON.stringify(r.result.content ?? {})}`)] };
    },
  );

  mcp.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicitation whose schema has a default for every primitive type (SEP-1034).' },
    async (extra) => {
      const r = await elicit(extra, {
        message: 'Please review and update the form fields with defaults',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'User name', default: 'John Doe' },
            age: { type: 'integer', description: 'User age', default: 30 },
            score: { type: 'number', description: 'User score', default: 95.5 },
            status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
            verified: { type: 'boolean', description: 'Verification status', default: true },
          },
        },
      });
      if (!r.result) return r;
      return { content: [text(`Elicitation completed: action=${r.result.action}, content=${JSON.stringify(r.result.content ?? {})}`)] };
    },
  );

  mcp.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicitation whose schema uses all five enum forms (SEP-1330).' },
    async (extra) => {
      const r = await elicit(extra, {
        message: 'Please pick from the enum fields',
        requestedSchema: {
          type: 'object',
          properties: {
            untitledSingle: { type: 'string', description: 'Untitled single-select', enum: ['option1', 'option2', 'option3'] },
            titledSingle: {
              type: 'string',
              description: 'Titled single-select',
              oneOf: [
                { const: 'value1', title: 'First Option' },
                { const: 'value2', title: 'Second Option' },
                { const: 'value3', title: 'Third Option' },
              ],
            },
            legacyEnum: {
              type: 'string',
              description: 'Legacy titled enum (enumNames)',
              enum: ['opt1', 'opt2', 'opt3'],
              enumNames: ['Option One', 'Option Two', 'Option Three'],
            },
            untitledMulti: {
              type: 'array',
              description: 'Untitled multi-select',
              items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
            },
            titledMulti: {
              type: 'array',
              description: 'Titled multi-select',
              items: {
                anyOf: [
                  { const: 'value1', title: 'First Choice' },
                  { const: 'value2', title: 'Second Choice' },
                  { const: 'value3', title: 'Third Choice' },
                ],
              },
            },
          },
        },
      });
      if (!r.result) return r;
      return { content: [text(`Elicitation completed: action=${r.result.action}, content=${JSON.stringify(r.result.content ?? {})}`)] };
    },
  );

  // JSON Schema 2020-12 keywords in an input schema (pending scenario json-schema-2020-12). The SDK renders zod as
  // draft-07; .meta() puts the 2020-12 keywords into the rendered schema verbatim.
  const addressDef = { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } };
  mcp.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: z
        .strictObject({
          name: z.string().optional(),
          address: z
            .object({ street: z.string().optional(), city: z.string().optional() })
            .optional()
            .meta({ $ref: '#/$defs/address' }),
        })
        .meta({ $schema: JSON_SCHEMA_2020_12, $defs: { address: addressDef } }),
    },
    async (args) => ({ content: [text(`json_schema_2020_12_tool called with ${JSON.stringify(args)}`)] }),
  );

  // SSE polling (pending scenario server-sse-polling, SEP-1699): close the POST stream mid-call, answer later; the
  // answer is stored in the event store and replayed to the client's GET with Last-Event-ID. The SDK offers
  // closeSSEStream only when the request's protocol version is >= 2025-11-25; otherwise the answer simply stays on
  // the open POST stream.
  mcp.registerTool(
    'test_reconnection',
    { description: 'Closes the SSE stream of this call mid-call and answers after the client reconnects.' },
    async (extra) => {
      await sleep(100);
      const closed = typeof extra.closeSSEStream === 'function';
      if (closed) extra.closeSSEStream();
      await sleep(closed ? 500 : 100);
      return { content: [text(`Reconnection test completed (stream closed mid-call: ${closed})`)] };
    },
  );

  // ----- resources -----
  mcp.registerResource(
    'static-text',
    'test://static-text',
    { title: 'Static text', description: 'A static text resource.', mimeType: 'text/plain' },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
    }),
  );

  mcp.registerResource(
    'static-binary',
    'test://static-binary',
    { title: 'Static binary', description: 'A static binary resource (a 1x1 PNG).', mimeType: 'image/png' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG }] }),
  );

  mcp.registerResource(
    'watched-resource',
    'test://watched-resource',
    { title: 'Watched resource', description: 'A resource clients can subscribe to.', mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content.' }] }),
  );

  mcp.registerResource(
    'template-data',
    new ResourceTemplate('test://template/{id}/data', {
      list: undefined,
      complete: { id: (value) => ['1', '2', '3', '123'].filter((v) => v.startsWith(value)) },
    }),
    { title: 'Template data', description: 'Data for an id, from a resource template.', mimeType: 'application/json' },
    async (uri, { id }) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/json',
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
        },
      ],
    }),
  );

  // ----- prompts -----
  mcp.registerPrompt(
    'test_simple_prompt',
    { description: 'A prompt without arguments.' },
    async () => ({ messages: [{ role: 'user', content: text('This is a simple prompt for testing.') }] }),
  );

  const ARG1_VALUES = ['paris', 'park', 'party', 'test', 'testing', 'testValue1'];
  mcp.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two required arguments.',
      argsSchema: {
        arg1: completable(z.string().describe('First test argument'), (value) =>
          ARG1_VALUES.filter((v) => v.startsWith(value ?? '')),
        ),
        arg2: z.string().describe('Second test argument'),
      },
    },
    async ({ arg1, arg2 }) => ({
      messages: [{ role: 'user', content: text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`) }],
    }),
  );

  mcp.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      description: 'A prompt that embeds the resource named by its argument.',
      argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') },
    },
    async ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' },
          },
        },
        { role: 'user', content: text('Please process the embedded resource above.') },
      ],
    }),
  );

  mcp.registerPrompt(
    'test_prompt_with_image',
    { description: 'A prompt with image content.' },
    async () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
        { role: 'user', content: text('Please analyze the image above.') },
      ],
    }),
  );

  return mcp;
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP: /mcp only; sessions by Mcp-Session-Id; DNS rebinding protection (Host and Origin must be loopback).

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

function loopbackHost(hostHeader) {
  if (!hostHeader) return false;
  try {
    return LOOPBACK_HOSTNAMES.has(new URL(`http://${hostHeader}`).hostname.toLowerCase());
  } catch {
    return false;
  }
}

function loopbackOrigin(origin) {
  if (origin === undefined) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTNAMES.has(url.hostname.toLowerCase());
  } catch {
    return false;
  }
}

function jsonRpcError(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const sessions = new Map(); // session id -> { transport, mcp, state }

async function handle(req, res) {
  const path = new URL(req.url, 'http://localhost').pathname;
  if (path !== '/mcp') return jsonRpcError(res, 404, -32000, `Not found: ${path}`);
  if (!loopbackHost(req.headers.host)) {
    return jsonRpcError(res, 403, -32000, `Forbidden: Host ${req.headers.host} is not a loopback host`);
  }
  if (!loopbackOrigin(req.headers.origin)) {
    return jsonRpcError(res, 403, -32000, `Forbidden: Origin ${req.headers.origin} is not a loopback origin`);
  }
  if (!['GET', 'POST', 'DELETE'].includes(req.method)) {
    res.setHeader('allow', 'GET, POST, DELETE');
    return jsonRpcError(res, 405, -32000, 'Method not allowed');
  }

  let body;
  if (req.method === 'POST') {
    const raw = await readBody(req);
    try {
      body = JSON.parse(raw);
    } catch {
      return jsonRpcError(res, 400, -32700, 'Parse error');
    }
    req.describedBody = describe(body);
  }

  const sessionId = req.headers['mcp-session-id'];
  if (sessionId !== undefined) {
    const session = sessions.get(sessionId);
    if (!session) return jsonRpcError(res, 404, -32001, 'Session not found');
    return session.transport.handleRequest(req, res, body);
  }
  if (req.method !== 'POST' || !(Array.isArray(body) ? body.some(isInitializeRequest) : isInitializeRequest(body))) {
    return jsonRpcError(res, 400, -32000, 'Bad Request: No valid session ID provided');
  }

  const state = { logLevel: 'debug', subscriptions: new Set() };
  const mcp = buildServer(state);
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    eventStore: new MemoryEventStore(),
    retryInterval: 500,
    onsessioninitialized: (id) => {
      sessions.set(id, { transport, mcp, state });
    },
    onsessionclosed: (id) => {
      sessions.delete(id);
    },
  });
  transport.onclose = () => {
    if (transport.sessionId) sessions.delete(transport.sessionId);
  };
  await mcp.connect(transport);
  return transport.handleRequest(req, res, body);
}

function describe(body) {
  const what = (m) => m?.method ?? (m && 'id' in m ? `response ${m.id}` : '?');
  return ` ${Array.isArray(body) ? `[${body.map(what).join(', ')}]` : what(body)}`;
}

function parsePort() {
  const i = process.argv.indexOf('--port');
  const value = i >= 0 ? process.argv[i + 1] : process.env.PORT;
  const port = value === undefined || value === '' ? 0 : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`conformance-fixture: bad port ${value}\n`);
    process.exit(2);
  }
  return port;
}

const httpServer = createServer((req, res) => {
  const started = Date.now();
  res.on('finish', () => {
    process.stderr.write(
      `${new Date().toISOString()} ${req.method} ${req.url} session=${req.headers['mcp-session-id'] ?? '-'} ` +
        `-> ${res.statusCode} ${res.getHeader('content-type') ?? ''} ${Date.now() - started}ms${req.describedBody ?? ''}\n`,
    );
  });
  handle(req, res).catch((error) => {
    process.stderr.write(`conformance-fixture: ${req.method} ${req.url} failed: ${error?.stack ?? error}\n`);
    if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal error');
    else res.end();
  });
});

httpServer.listen(parsePort(), HOST, () => {
  const { port } = httpServer.address();
  process.stdout.write(`conformance-fixture listening on http://${HOST}:${port}/mcp\n`);
});

async function shutdown() {
  for (const { transport, mcp } of sessions.values()) {
    await transport.close().catch(() => {});
    await mcp.close().catch(() => {});
  }
  httpServer.close();
  httpServer.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
