#!/usr/bin/env node
// An MCP client on the official TypeScript SDK (Client + StreamableHTTPClientTransport) that ANSWERS server-to-client
// requests, for Manifold's relay ITs (sampling, elicitation, roots, progress, logging through the broker).
// It declares the client capabilities sampling, elicitation (form) and roots (listChanged), opens one or more
// sessions, runs tool calls (concurrently by default), records everything the servers sent, prints ONE JSON line on
// stdout and closes every session (DELETE). Diagnostics go to stderr only.
//
// Usage:
//   node mcp-relay-client.mjs '<spec json>'
//   node mcp-relay-client.mjs -            (the spec is read from stdin)
//   node mcp-relay-client.mjs --url <mcp-url> call <tool> '<json-args>' [--progress]    (one session, one call)
//
// Spec:
//   {
//     "timeoutMs": 20000,                   per request (initialize, tools/list, tools/call)
//     "sessions": [ {"url": "http://127.0.0.1:8080/mcp", "listTools": true,
//                    "awaitGetStreamMs": 10000} ],  before any call, wait this long at most for the server's answer
//                                           to the standalone GET stream (0: do not wait); reported as getStream
//     "calls": [ {"session": 0, "tool": "trigger-sampling-request", "args": {"prompt": "p"},
//                 "progress": false,        true: call with onprogress (the SDK sends _meta.progressToken)
//                 "resetTimeoutOnProgress": false} ],
//     "sequential": false,                  default: all calls start at once (after every session is initialized)
//     "samplingBarrier": 0,                 >0: each sampling/createMessage is answered only once this many have
//                                           arrived (so they are all pending at the same time), or after
//     "barrierTimeoutMs": 8000,             this long (then the answer is sent anyway and barrierTimedOut is set)
//     "elicitation": {"action": "accept", "content": {...}},   the answer to every elicitation/create
//     "roots": [{"uri": "file:///...", "name": "..."}],          the answer to every roots/list
//     "capabilities": {...},                the client capabilities declared (default: sampling, elicitation with
//                                           form, roots with listChanged); only declared ones get a handler
//     "minNotifications": 0,                >0: after the calls (when all succeeded), wait until this many
//                                           notifications were handled
//     "notificationMethod": "...",          (only those of this method, when given),
//     "awaitNotificationsMs": 5000          but no longer than this
//   }
//
// Answers (deterministic, derived from the request so a misrouted answer is visible):
//   sampling/createMessage -> {"role":"assistant","model":"manifold-it-echo","stopReason":"endTurn",
//                              "content":{"type":"text","text":"manifold-it reply to: <all message texts joined>"}}
//   elicitation/create     -> the spec's elicitation answer (default: accept with DEFAULT_ELICITATION_CONTENT)
//   roots/list             -> {"roots": <the spec's roots, default DEFAULT_ROOTS>}
//
// Output (one line): {
//   "ok": true when every session initialized and every call got a result,
//   "sessions": [{"index","url","sessionId","protocolVersion","serverInfo","serverCapabilities","tools":[names]?,
//                 "getStream": "open" | "HTTP <status> <content-type>" | "no answer within <n>ms" | "failed: ...",
//                 "error"?, "deleteError"?}],
//   "calls": [{"index","session","tool","args","progressToken"?,"startSeq","resultSeq","result"|"error",
//              "progress":[{"seq","progress","total","message"}]}],
//   "serverRequests": [{"seq","session","method","id","params","answer"|"answerError","barrierTimedOut"?}],
//   "notifications": [{"seq","session","method","params"}]          (logging, progress, list_changed, ... as handled),
//   "wire": [{"seq","session","dir":"in"|"out","stream":"POST"|"GET","postIds":[..],"eventId"?,"message"}],
//             every JSON-RPC message as sent/received over HTTP, with the stream it travelled on: "POST" for a
//             POST body (dir out) or a POST response (JSON or SSE, dir in; postIds = ids of the POSTed requests),
//             "GET" for the session's standalone SSE stream
//   "clientErrors": [{"session","message"}]                          (the SDK's onerror, e.g. unknown progress token)
// }
// "seq" is one counter over the whole run, so it orders events (e.g. every progress notification precedes the result).
// Exit status: 0 when ok, 1 otherwise (the JSON is still printed), 2 on bad usage.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

const USAGE = "usage: mcp-relay-client.mjs '<spec json>' | - | --url <mcp-url> call <tool> '<json-args>' [--progress]";

const DEFAULT_ELICITATION_CONTENT = {
  name: 'Manifold Relay Tester',
  check: true,
  email: 'relay-it@manifold.invalid',
  integer: 7,
  number: 2.5,
};
const DEFAULT_ROOTS = [{ uri: 'file:///manifold-it/relay-root', name: 'manifold-it-relay-root' }];
const SAMPLING_REPLY_PREFIX = 'manifold-it reply to: ';

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function parseSpec(argv) {
  if (argv[0] === '--url') {
    const [, url, op, tool, raw, ...rest] = argv;
    if (!url || op !== 'call' || !tool || raw === undefined) fail(USAGE);
    let args;
    try {
      args = JSON.parse(raw);
    } catch (e) {
      fail(`call ${tool}: arguments are not JSON: ${e.message}`);
    }
    const progress = rest.includes('--progress');
    return { sessions: [{ url }], calls: [{ session: 0, tool, args, progress, resetTimeoutOnProgress: progress }] };
  }
  if (argv.length !== 1) fail(USAGE);
  const text = argv[0] === '-' ? await readStdin() : argv[0];
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`the spec is not JSON: ${e.message}\n${USAGE}`);
  }
}

function validate(spec) {
  if (!Array.isArray(spec.sessions) || spec.sessions.length === 0) fail(`spec.sessions must be a non-empty array\n${USAGE}`);
  spec.sessions.forEach((s, i) => {
    if (typeof s?.url !== 'string') fail(`spec.sessions[${i}].url is missing`);
  });
  spec.calls ??= [];
  spec.calls.forEach((c, i) => {
    c.session ??= 0;
    c.args ??= {};
    if (typeof c.tool !== 'string') fail(`spec.calls[${i}].tool is missing`);
    if (!(c.session >= 0 && c.session < spec.sessions.length)) fail(`spec.calls[${i}].session is out of range`);
  });
  spec.timeoutMs ??= 20000;
  spec.samplingBarrier ??= 0;
  spec.barrierTimeoutMs ??= 8000;
  spec.elicitation ??= { action: 'accept', content: DEFAULT_ELICITATION_CONTENT };
  spec.roots ??= DEFAULT_ROOTS;
  spec.capabilities ??= { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } };
  return spec;
}

const started = Date.now();
let seqCounter = 0;
const nextSeq = () => ++seqCounter;

const out = { ok: false, sessions: [], calls: [], serverRequests: [], notifications: [], wire: [], clientErrors: [] };

// ---- wire recording: every JSON-RPC message over HTTP, with the stream it travelled on ----

function recordWire(session, dir, stream, postIds, message, eventId) {
  const entry = { seq: nextSeq(), t: Date.now() - started, session, dir, stream, postIds, message };
  if (eventId !== undefined) entry.eventId = eventId;
  out.wire.push(entry);
}

function messagesOf(parsed) {
  return Array.isArray(parsed) ? parsed : [parsed];
}

async function recordSse(session, stream, postIds, body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = [];
        let eventId;
        for (const line of block.split('\n')) {
          if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          else if (line.startsWith('id:')) eventId = line.slice(3).trim();
        }
        if (data.length === 0) continue;
        const text = data.join('\n');
        if (text.trim() === '') continue;
        try {
          for (const m of messagesOf(JSON.parse(text))) recordWire(session, 'in', stream, postIds, m, eventId);
        } catch {
          recordWire(session, 'in', stream, postIds, { unparsable: text }, eventId);
        }
      }
    }
  } catch {
    // the stream was aborted (session closed): what was read is recorded
  }
}

// Per session: resolves with a description of how the server answered the session's standalone GET stream.
const getStreamAnswered = new Map();

function recordingFetch(session) {
  let answered;
  getStreamAnswered.set(session, new Promise((resolve) => {
    answered = resolve;
  }));
  return async (url, init) => {
    const method = init?.method ?? 'GET';
    let postIds = [];
    if (method === 'POST' && typeof init?.body === 'string') {
      try {
        const sent = messagesOf(JSON.parse(init.body));
        postIds = sent.filter((m) => m.method !== undefined && m.id !== undefined).map((m) => m.id);
        sent.forEach((m) => recordWire(session, 'out', 'POST', postIds, m));
      } catch {
        /* not JSON: not ours to record */
      }
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (e) {
      if (method === 'GET') answered(`failed: ${e?.message ?? e}`);
      throw e;
    }
    if (method !== 'POST' && method !== 'GET') return response;
    const stream = method;
    const type = response.headers.get('content-type') ?? '';
    if (method === 'GET') {
      answered(response.ok && type.includes('text/event-stream') ? 'open' : `HTTP ${response.status} ${type}`.trim());
    }
    if (response.ok && response.body && type.includes('text/event-stream')) {
      const [forSdk, forRecorder] = response.body.tee();
      recordSse(session, stream, postIds, forRecorder);
      return new Response(forSdk, { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    if (response.body && type.includes('application/json')) {
      const text = await response.text();
      try {
        for (const m of messagesOf(JSON.parse(text))) recordWire(session, 'in', stream, postIds, m);
      } catch {
        /* not JSON */
      }
      return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    return response;
  };
}

// ---- answering server-to-client requests ----

function textsOf(messages) {
  const texts = [];
  for (const m of messages ?? []) {
    for (const c of Array.isArray(m.content) ? m.content : [m.content]) {
      if (c?.type === 'text') texts.push(c.text);
    }
  }
  return texts.join(' | ');
}

const samplingWaiters = [];
let samplingSeen = 0;

function samplingBarrier(spec) {
  samplingSeen++;
  if (spec.samplingBarrier <= 0) return Promise.resolve(false);
  if (samplingSeen >= spec.samplingBarrier) {
    samplingWaiters.splice(0).forEach((release) => release(false));
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), spec.barrierTimeoutMs);
    samplingWaiters.push((timedOut) => {
      clearTimeout(timer);
      resolve(timedOut);
    });
  });
}

function installHandlers(client, session, spec) {
  const record = (method, request, extra) => {
    const entry = { seq: nextSeq(), t: Date.now() - started, session, method, id: extra?.requestId ?? null,
      params: request.params ?? null };
    out.serverRequests.push(entry);
    return entry;
  };
  if (spec.capabilities.sampling) client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
    const entry = record('sampling/createMessage', request, extra);
    const timedOut = await samplingBarrier(spec);
    if (timedOut) entry.barrierTimedOut = true;
    const answer = {
      role: 'assistant',
      model: 'manifold-it-echo',
      stopReason: 'endTurn',
      content: { type: 'text', text: `${SAMPLING_REPLY_PREFIX}${textsOf(request.params.messages)}` },
    };
    entry.answer = answer;
    entry.answeredSeq = nextSeq();
    return answer;
  });
  if (spec.capabilities.elicitation) client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
    const entry = record('elicitation/create', request, extra);
    entry.answer = spec.elicitation;
    entry.answeredSeq = nextSeq();
    return spec.elicitation;
  });
  if (spec.capabilities.roots) client.setRequestHandler(ListRootsRequestSchema, async (request, extra) => {
    const entry = record('roots/list', request, extra);
    entry.answer = { roots: spec.roots };
    entry.answeredSeq = nextSeq();
    return { roots: spec.roots };
  });
  const notification = (method) => (n) => {
    out.notifications.push({ seq: nextSeq(), t: Date.now() - started, session, method, params: n.params ?? null });
  };
  client.setNotificationHandler(LoggingMessageNotificationSchema, notification('notifications/message'));
  client.setNotificationHandler(ToolListChangedNotificationSchema, notification('notifications/tools/list_changed'));
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, notification('notifications/resources/updated'));
  // Progress notifications are dispatched by the SDK to the call's onprogress (recorded per call below); a
  // progress notification whose token matches no pending call reaches onerror and is recorded in clientErrors.
  // Once this client is shutting down (closing[session]), the SDK aborts its own GET stream; that AbortError is
  // the client's doing, not the server's, and is not recorded (Node words it "AbortError: ..." or "This operation was
  // aborted", with the name AbortError). Any other error still is.
  client.onerror = (e) => {
    const message = String(e?.message ?? e);
    const aborted = e?.name === 'AbortError' || message.includes('AbortError') || message === 'This operation was aborted';
    if (closing.has(session) && aborted) {
      return;
    }
    out.clientErrors.push({ session, message });
  };
}

/** Sessions whose shutdown (DELETE, then close) has begun. */
const closing = new Set();

function describeError(e) {
  const cause = e?.cause ? `: ${e.cause.code ?? ''} ${e.cause.message ?? e.cause}`.trimEnd() : '';
  return { message: `${e?.message ?? e}${cause}`, code: e?.code ?? null, data: e?.data ?? null };
}

async function openSession(index, sessionSpec, spec) {
  const record = { index, url: sessionSpec.url };
  out.sessions.push(record);
  const client = new Client(
    { name: 'manifold-relay-it-client', version: '1.0.0' },
    { capabilities: spec.capabilities },
  );
  installHandlers(client, index, spec);
  const transport = new StreamableHTTPClientTransport(new URL(sessionSpec.url), { fetch: recordingFetch(index) });
  try {
    await client.connect(transport, { timeout: spec.timeoutMs });
    record.sessionId = transport.sessionId ?? null;
    record.protocolVersion = transport.protocolVersion ?? null;
    record.serverInfo = client.getServerVersion() ?? null;
    record.serverCapabilities = client.getServerCapabilities() ?? null;
    // Server-to-client messages unrelated to a request (server-everything's roots/list, logging) travel on the
    // standalone GET stream and are dropped while it is not open: wait for the server's answer to the GET first.
    const waitMs = sessionSpec.awaitGetStreamMs ?? 10000;
    if (waitMs > 0) {
      record.getStream = await Promise.race([getStreamAnswered.get(index),
        new Promise((resolve) => setTimeout(() => resolve(`no answer within ${waitMs}ms`), waitMs))]);
    }
    if (sessionSpec.listTools) {
      const names = [];
      let cursor;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: spec.timeoutMs });
        page.tools.forEach((t) => names.push(t.name));
        cursor = page.nextCursor;
      } while (cursor !== undefined && names.length < 10000);
      record.tools = names;
    }
    return { client, transport, record };
  } catch (e) {
    record.error = describeError(e);
    process.stderr.write(`mcp-relay-client: session ${index} (${sessionSpec.url}): ${record.error.message}\n`);
    return { client, transport, record, failed: true };
  }
}

async function runCall(index, call, sessions, spec) {
  const record = { index, session: call.session, tool: call.tool, args: call.args, progress: [] };
  out.calls.push(record);
  const s = sessions[call.session];
  if (s.failed) {
    record.error = { message: `session ${call.session} did not initialize`, code: null, data: null };
    return;
  }
  const options = { timeout: spec.timeoutMs };
  if (call.progress) {
    options.onprogress = (p) => {
      record.progress.push({ seq: nextSeq(), t: Date.now() - started, progress: p.progress, total: p.total ?? null,
        message: p.message ?? null });
    };
    options.resetTimeoutOnProgress = call.resetTimeoutOnProgress ?? true;
  }
  record.startSeq = nextSeq();
  try {
    const pending = s.client.callTool({ name: call.tool, arguments: call.args }, CallToolResultSchema, options);
    const result = await pending;
    record.resultSeq = nextSeq();
    record.result = result;
  } catch (e) {
    record.resultSeq = nextSeq();
    record.error = describeError(e);
    process.stderr.write(`mcp-relay-client: call ${index} ${call.tool}: ${record.error.message}\n`);
  }
  // The SDK sets _meta.progressToken to the request's JSON-RPC id; take it from the wire to report it exactly. The
  // request is found by tool and arguments, not by the order calls finish: concurrent calls may complete out of order.
  if (call.progress) {
    const sameArgs = (a) => JSON.stringify(a ?? {}) === JSON.stringify(call.args ?? {});
    const sent = out.wire.find((w) => w.session === call.session && w.dir === 'out' && w.message.method === 'tools/call'
      && w.message.params?.name === call.tool && sameArgs(w.message.params?.arguments)
      && w.message.params?._meta?.progressToken !== undefined
      && !out.calls.some((c) => c !== record && c.progressToken === w.message.params._meta.progressToken));
    if (sent) record.progressToken = sent.message.params._meta.progressToken;
  }
}

async function main() {
  const spec = validate(await parseSpec(process.argv.slice(2)));
  const sessions = await Promise.all(spec.sessions.map((s, i) => openSession(i, s, spec)));
  if (spec.sequential) {
    for (let i = 0; i < spec.calls.length; i++) await runCall(i, spec.calls[i], sessions, spec);
  } else {
    await Promise.all(spec.calls.map((c, i) => runCall(i, c, sessions, spec)));
  }
  out.calls.sort((a, b) => a.index - b.index);
  // Notifications on the GET stream are not ordered with a call's result (another stream): wait for them here.
  if (spec.minNotifications > 0 && out.calls.every((c) => c.result !== undefined)) {
    const deadline = Date.now() + (spec.awaitNotificationsMs ?? 5000);
    const counted = () => out.notifications.filter((n) => spec.notificationMethod === undefined
      || n.method === spec.notificationMethod).length;
    while (counted() < spec.minNotifications && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  for (const s of sessions) {
    closing.add(s.record.index);
    try {
      if (s.transport.sessionId) await s.transport.terminateSession();
    } catch (e) {
      s.record.deleteError = describeError(e);
    }
    try {
      await s.client.close();
    } catch {
      /* already closed */
    }
  }
  out.ok = sessions.every((s) => !s.failed) && out.calls.every((c) => c.result !== undefined);
  out.elapsedMs = Date.now() - started;
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(out.ok ? 0 : 1);
}

await main();
