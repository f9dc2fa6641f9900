#!/usr/bin/env node
// Fake OpenAI-compatible AI provider for Sluice tests (Node 20, built-in modules only).
//
// It answers like an OpenAI-compatible API after a latency that rises with load, and it behaves like a
// provider whose capacity changes: a capacity schedule (lib/capacity.js: e.g. 4 for 40 s, then 1 for
// 40 s, then 3), an answer above capacity (lib/behaviour.js: stall into the client's cURL 28, or an
// immediate 429 with Retry-After, 503 or 529), fail rules for some requests (e.g. one flow's get 503 for a
// while), outage windows during which connections are refused (lib/outage.js), and counters of what it
// saw over time (lib/timeline.js: time above capacity, one record per request) for the benchmarks.
// A stalled request stays counted while its socket is open and is released when the client closes it.
//
// A request whose client went away keeps counting until its latency ends (a real provider keeps
// generating for an orphaned request), unless --drop-orphans.
//
// Usage: node server.js [--port 8099] [--latency-ms 300] [--saturate-above 0] [--drop-orphans] [--pid-file PATH]
//                       [--control-socket PATH]
// See README.md beside this file for the endpoints and options.
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const crypto = require('node:crypto');
const { Capacity } = require('./lib/capacity');
const { Timeline } = require('./lib/timeline');
const { OVER_CAPACITY, checkFailRules, decide } = require('./lib/behaviour');
const { Outage } = require('./lib/outage');
const { RateBudget } = require('./lib/rate-budget');
const { Latency } = require('./lib/latency');

const HOST = '127.0.0.1';
const MODEL_ID = 'fake-model';

function usage(msg) {
  if (msg) process.stderr.write(`fake-provider: ${msg}\n`);
  process.stderr.write(
    'usage: node server.js [--port N (8099; 0 = any free port)] [--latency-ms MS (300)]\n' +
      '                      [--saturate-above C (0 = never)] [--drop-orphans] [--pid-file PATH]\n' +
      '                      [--control-socket PATH (the control routes, reachable during an outage too)]\n'
  );
  process.exit(msg ? 2 : 0);
}

function parseNonNegInt(name, value) {
  if (value === undefined || !/^\d+$/.test(String(value))) usage(`${name} needs a non-negative integer, got ${value}`);
  return Number(value);
}

function parseArgs(argv) {
  const opts = { port: 8099, latencyMs: 300, saturateAbove: 0, pidFile: null, dropOrphans: false, controlSocket: null };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = () => (value !== undefined ? value : argv[++i]);
    switch (arg) {
      case '--port': opts.port = parseNonNegInt('--port', next()); break;
      case '--latency-ms': opts.latencyMs = parseNonNegInt('--latency-ms', next()); break;
      case '--saturate-above': opts.saturateAbove = parseNonNegInt('--saturate-above', next()); break;
      case '--drop-orphans': opts.dropOrphans = true; break;
      case '--pid-file': opts.pidFile = next(); if (!opts.pidFile) usage('--pid-file needs a path'); break;
      case '--control-socket': opts.controlSocket = next(); if (!opts.controlSocket) usage('--control-socket needs a path'); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${arg}`);
    }
  }
  if (opts.port > 65535) usage('--port must be <= 65535');
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const config = {
  latency_ms: opts.latencyMs,
  saturate_above: opts.saturateAbove,
  orphans_keep_serving: !opts.dropOrphans,
  over_capacity: 'stall',
  retry_after_s: 1,
  latency_per_load: 0,
  fail_rules: [],
};
const capacity = new Capacity(opts.saturateAbove);
const timeline = new Timeline(capacity);
const outage = new Outage(capacity, () => listenApi(), () => closeApi(), (line) => log(line));
const rateBudget = new RateBudget();
const latency = new Latency();

// ---- counters ---------------------------------------------------------------------------------
const open = new Set(); // every API request whose response is not closed yet (served and stalled)
const serving = new Set(); // the open ones that were admitted for an answer (not stalled)
let stats;
function zeroStats() {
  stats = {
    total: 0, // API requests received
    answered: 0, // got a 200 answer
    stalled: 0, // were stalled (never answered)
    aborted: 0, // admitted, but the client closed before the answer was sent
    orphaned: 0, // of those, kept in flight until their latency ended (orphans_keep_serving)
    bad_request: 0, // answered 4xx (bad JSON, unknown path, wrong method)
    rejected: {}, // answered at once above capacity, by status (429, 503, 529)
    failed: {}, // answered by a fail rule, by status
    max_in_flight: open.size,
    max_served_in_flight: 0,
    by_path: {},
  };
}
zeroStats();

function snapshot() {
  let stalledOpen = 0;
  for (const r of open) if (r.stalled) stalledOpen++;
  return {
    in_flight: open.size,
    served_in_flight: serving.size,
    stalled_open: stalledOpen,
    max_in_flight: stats.max_in_flight,
    max_served_in_flight: stats.max_served_in_flight,
    total: stats.total,
    answered: stats.answered,
    stalled: stats.stalled,
    aborted: stats.aborted,
    orphaned: stats.orphaned,
    orphans_keep_serving: config.orphans_keep_serving,
    bad_request: stats.bad_request,
    by_path: stats.by_path,
    rejected: stats.rejected,
    failed: stats.failed,
    latency_ms: config.latency_ms,
    saturate_above: config.saturate_above,
    capacity_now: Number.isFinite(capacity.at()) ? capacity.at() : 0,
    capacity_schedule: capacity.describe(),
    over_capacity: config.over_capacity,
    latency_per_load: config.latency_per_load,
    fail_rules: config.fail_rules.length,
    outages: outage.describe(),
    rate_budget: rateBudget.describe(),
    latency_distribution: latency.describe(),
    down: outage.down,
    ...timeline.snapshot(Date.now()),
  };
}

// The number of requests in flight changed: the timeline integrates time above capacity.
function inFlightChanged() {
  timeline.change(Date.now(), open.size);
}

// ---- helpers ----------------------------------------------------------------------------------
function log(fields) {
  process.stdout.write(`${new Date().toISOString()} ${fields}\n`);
}

function sendJson(res, status, body, extraHeaders = {}) {
  if (res.writableEnded || res.destroyed) return;
  const data = JSON.stringify(body);
  res.writeHead(status, { ...extraHeaders, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function apiError(res, status, message, type = 'invalid_request_error', code = null) {
  sendJson(res, status, { error: { message, type, param: null, code } });
}

// The answers of a provider above its capacity (or failing): OpenAI's 429 and 503 shapes, Anthropic's 529.
function overloaded(res, status, retryAfter) {
  if (res.writableEnded || res.destroyed) return;
  const body = status === 529
    ? { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }
    : status === 429
      ? { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } }
      : { error: { message: status === 503 ? 'The server is overloaded or not ready yet.' : 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } };
  const data = JSON.stringify(body);
  const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) };
  if (status === 429 || status === 503 || status === 529) headers['Retry-After'] = String(retryAfter || 1);
  res.writeHead(status, headers);
  res.end(data);
}

function readBody(req, cb) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => cb(Buffer.concat(chunks).toString('utf8')));
  req.on('error', () => {});
}

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (typeof p === 'string' ? p : p && typeof p.text === 'string' ? p.text : ''))
      .join('');
  }
  return '';
}

// Last user message text from a chat.completions `messages` or a Responses API `input`.
function lastUserText(body) {
  const list = Array.isArray(body.messages) ? body.messages : Array.isArray(body.input) ? body.input : null;
  if (!list) return typeof body.input === 'string' ? body.input : '';
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i];
    if (m && (m.role === 'user' || m.role === undefined)) return textOf(m.content);
  }
  return '';
}

function countTokens(s) {
  const n = String(s).trim().split(/\s+/).filter(Boolean).length;
  return Math.max(1, n);
}

function completionBody(path, body) {
  const model = typeof body.model === 'string' && body.model ? body.model : MODEL_ID;
  const prompt = lastUserText(body);
  const content = `fake reply to: ${prompt.slice(0, 40)}`;
  const created = Math.floor(Date.now() / 1000);
  const promptTokens = countTokens(prompt);
  const completionTokens = countTokens(content);
  const message = { role: 'assistant', content, refusal: null };
  const choices = [{ index: 0, message, logprobs: null, finish_reason: 'stop' }];
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  if (path === '/v1/responses') {
    // Responses API shape, plus `choices` so a chat.completions parser reads it too.
    const id = `resp_fake${crypto.randomBytes(8).toString('hex')}`;
    return {
      id, object: 'response', created_at: created, status: 'completed', model,
      output: [{
        type: 'message', id: `msg_fake${crypto.randomBytes(8).toString('hex')}`, status: 'completed', role: 'assistant',
        content: [{ type: 'output_text', text: content, annotations: [] }],
      }],
      output_text: content,
      choices,
      usage: { input_tokens: promptTokens, output_tokens: completionTokens, total_tokens: usage.total_tokens, ...usage },
    };
  }
  return {
    id: `chatcmpl-fake${crypto.randomBytes(8).toString('hex')}`,
    object: 'chat.completion', created, model, choices, usage, system_fingerprint: 'fake-provider',
  };
}

// ---- request handling -------------------------------------------------------------------------
const API_POST = new Set(['/v1/chat/completions', '/v1/responses']);

function handleControl(req, res, path) {
  if (path === '/__stats' && req.method === 'GET') return sendJson(res, 200, snapshot());
  if (path === '/__reset' && req.method === 'POST') {
    return readBody(req, (raw) => {
      let body = {};
      try { body = raw.trim() ? JSON.parse(raw) : {}; } catch { return apiError(res, 400, 'body is not JSON'); }
      let dropped = 0;
      if (body && body.drop_stalled) {
        for (const r of [...open]) {
          if (r.outcome === 'orphaned') {
            clearTimeout(r.timer); // an orphan still being served: stop counting it
            open.delete(r);
            serving.delete(r);
            dropped++;
            continue;
          }
          if (!r.stalled) continue;
          open.delete(r); // count it out now; its close event only logs
          r.res.destroy();
          dropped++;
        }
      }
      zeroStats();
      const now = Date.now();
      capacity.restart(now);
      timeline.reset(now, open.size);
      outage.arm(now);
      rateBudget.restart();
      log(`POST /__reset dropped_stalled=${dropped}`);
      sendJson(res, 200, { ok: true, dropped_stalled: dropped, stats: snapshot() });
    });
  }
  if (path === '/__config' && req.method === 'POST') {
    return readBody(req, (raw) => {
      let body;
      try { body = JSON.parse(raw); } catch { return apiError(res, 400, 'body is not JSON'); }
      if (!body || typeof body !== 'object') return apiError(res, 400, 'body must be a JSON object');
      const next = { ...config };
      if (body.orphans_keep_serving !== undefined) {
        if (typeof body.orphans_keep_serving !== 'boolean') return apiError(res, 400, 'orphans_keep_serving must be true or false');
        next.orphans_keep_serving = body.orphans_keep_serving;
      }
      for (const key of ['latency_ms', 'saturate_above', 'retry_after_s']) {
        if (body[key] === undefined) continue;
        if (!Number.isInteger(body[key]) || body[key] < 0) return apiError(res, 400, `${key} must be a non-negative integer`);
        next[key] = body[key];
      }
      if (body.latency_per_load !== undefined) {
        if (typeof body.latency_per_load !== 'number' || body.latency_per_load < 0) return apiError(res, 400, 'latency_per_load must be a number >= 0');
        next.latency_per_load = body.latency_per_load;
      }
      if (body.over_capacity !== undefined) {
        if (!OVER_CAPACITY.includes(String(body.over_capacity))) return apiError(res, 400, `over_capacity must be one of ${OVER_CAPACITY.join(', ')}`);
        next.over_capacity = String(body.over_capacity);
      }
      const now = Date.now();
      try {
        rateBudget.apply(RateBudget.check(body));
        if (body.latency_distribution !== undefined) latency.set(Latency.check(body.latency_distribution));
        if (body.fail_rules !== undefined) next.fail_rules = checkFailRules(body.fail_rules);
        if (body.capacity_schedule !== undefined) {
          capacity.setSchedule(body.capacity_schedule, now);
          timeline.reset(now, open.size);
        } else if (body.saturate_above !== undefined) {
          capacity.setSchedule([[body.saturate_above, 0]], capacity.t0); // one phase: the old saturation
          if (body.over_capacity === undefined) next.over_capacity = 'stall';
        }
        if (body.outages !== undefined) outage.set(body.outages, now);
        else if (body.capacity_schedule !== undefined) outage.arm(now);
      } catch (e) {
        return apiError(res, 400, e.message);
      }
      Object.assign(config, next);
      log(`POST /__config latency_ms=${config.latency_ms} capacity=${capacity.describe()} over_capacity=${config.over_capacity} latency_per_load=${config.latency_per_load} fail_rules=${config.fail_rules.length} outages=${JSON.stringify(outage.describe())}`);
      sendJson(res, 200, {
        ok: true, latency_ms: config.latency_ms, saturate_above: config.saturate_above, capacity_schedule: capacity.describe(),
        over_capacity: config.over_capacity, retry_after_s: config.retry_after_s, latency_per_load: config.latency_per_load,
        fail_rules: config.fail_rules.length, outages: outage.describe(), rate_budget: rateBudget.describe(),
        latency_distribution: latency.describe(),
      });
    });
  }
  if (path === '/__latency_sample' && req.method === 'GET') {
    const n = Number(new URL(req.url || '/', 'http://x').searchParams.get('n') || '1000');
    return sendJson(res, 200, { distribution: latency.describe(), samples: latency.sample(n, config.latency_ms) });
  }
  if (path === '/__timeline' && req.method === 'GET') {
    return sendJson(res, 200, { since_ms: timeline.t0, dropped: timeline.dropped, records: timeline.records });
  }
  return apiError(res, 404, `no control route ${req.method} ${path}`);
}

function handleApi(req, res, path) {
  const started = process.hrtime.bigint();
  const othersInFlight = open.size;
  const r = { res, stalled: false, peak: 0, outcome: null, status: 0, timer: null };
  open.add(r);
  inFlightChanged();
  stats.total++;
  stats.by_path[path] = (stats.by_path[path] || 0) + 1;
  if (open.size > stats.max_in_flight) stats.max_in_flight = open.size;
  // One record per request for the benchmarks (ms since the schedule's start).
  r.rec = {
    start_ms: Date.now() - timeline.t0, end_ms: null, outcome: null, status: 0,
    flow: String(req.headers['x-fixture-flow'] || ''), job: String(req.headers['x-fixture-job'] || ''),
  };
  timeline.record(r.rec);
  const ended = () => {
    r.rec.end_ms = Date.now() - timeline.t0;
    r.rec.outcome = r.outcome;
    r.rec.status = r.status;
    inFlightChanged();
  };

  res.on('close', () => {
    // A real provider keeps generating after its client went away: with orphans_keep_serving
    // (the default) an admitted request still counts as in flight until its latency ends.
    if (config.orphans_keep_serving && !r.stalled && !r.outcome && r.timer) {
      r.outcome = 'orphaned';
      stats.aborted++;
      stats.orphaned++;
      clearTimeout(r.timer);
      r.timer = setTimeout(() => {
        r.timer = null;
        open.delete(r);
        serving.delete(r);
        ended();
        log(`${req.method} ${path} orphan-finished in_flight=${open.size}`);
      }, Math.max(0, r.dueAt - Date.now()));
      log(`${req.method} ${path} orphaned (client gone; still serving ${Math.max(0, r.dueAt - Date.now())} ms) in_flight=${open.size}`);
      return;
    }
    open.delete(r);
    serving.delete(r);
    if (r.timer) clearTimeout(r.timer);
    if (!r.outcome) {
      r.outcome = r.stalled ? 'stalled-closed' : 'aborted';
      if (!r.stalled) stats.aborted++;
    }
    ended();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    log(`${req.method} ${path} ${r.outcome} status=${r.status || '-'} ms=${ms.toFixed(0)} in_flight=${open.size}`);
  });

  const finish = (status, fn) => {
    r.status = status;
    fn();
  };
  const decision = decide(config, capacity, req, Date.now(), othersInFlight, serving.size + 1);
  // Above capacity with over_capacity "stall": accepted and never answered (the client's timeout, cURL 28).
  if (decision.kind === 'stall') {
    r.stalled = true;
    stats.stalled++;
    req.resume(); // drain the body; never answer
    return;
  }
  // Above capacity with an immediate answer (429, 503, 529), or a fail rule's status.
  if (decision.kind === 'reject' || decision.kind === 'fail') {
    req.resume();
    const bucket = decision.kind === 'reject' ? stats.rejected : stats.failed;
    bucket[decision.status] = (bucket[decision.status] || 0) + 1;
    r.outcome = decision.kind === 'reject' ? 'rejected' : 'failed';
    return finish(decision.status, () => overloaded(res, decision.status, decision.retryAfter));
  }

  serving.add(r);
  for (const s of serving) if (serving.size > s.peak) s.peak = serving.size;


  const isModels = path === '/v1/models' || path.startsWith('/v1/models/');
  if (isModels) {
    if (req.method !== 'GET') {
      stats.bad_request++;
      r.outcome = 'bad_request';
      return finish(405, () => apiError(res, 405, `use GET for ${path}`));
    }
    req.resume();
    const model = { id: MODEL_ID, object: 'model', created: 1700000000, owned_by: 'sluice-fake-provider' };
    if (path === '/v1/models') {
      r.outcome = 'answered';
      stats.answered++;
      if (r.peak > stats.max_served_in_flight) stats.max_served_in_flight = r.peak;
      return finish(200, () => sendJson(res, 200, { object: 'list', data: [model] }));
    }
    const id = decodeURIComponent(path.slice('/v1/models/'.length));
    if (id === MODEL_ID) {
      r.outcome = 'answered';
      stats.answered++;
      if (r.peak > stats.max_served_in_flight) stats.max_served_in_flight = r.peak;
      return finish(200, () => sendJson(res, 200, model));
    }
    stats.bad_request++;
    r.outcome = 'bad_request';
    return finish(404, () => apiError(res, 404, `The model '${id}' does not exist`, 'invalid_request_error', 'model_not_found'));
  }

  if (!API_POST.has(path)) {
    stats.bad_request++;
    r.outcome = 'bad_request';
    req.resume();
    return finish(404, () => apiError(res, 404, `Unknown request URL: ${req.method} ${path}`, 'invalid_request_error', 'unknown_url'));
  }
  if (req.method !== 'POST') {
    stats.bad_request++;
    r.outcome = 'bad_request';
    req.resume();
    return finish(405, () => apiError(res, 405, `use POST for ${path}`));
  }

  readBody(req, (raw) => {
    if (res.destroyed) return;
    let body;
    try { body = JSON.parse(raw); } catch { body = null; }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      stats.bad_request++;
      r.outcome = 'bad_request';
      return finish(400, () => apiError(res, 400, 'We could not parse the JSON body of your request.'));
    }
    const answer = completionBody(path, body);
    r.rec.tokens = answer.usage.total_tokens;
    const wait = rateBudget.take(Date.now(), answer.usage.total_tokens);
    if (wait > 0) {
      // Over the requests- or tokens-per-minute budget (lib/rate-budget.js): OpenAI's 429.
      stats.rejected[429] = (stats.rejected[429] || 0) + 1;
      r.outcome = 'rejected';
      const headers = { ...rateBudget.headersAt(Date.now()), 'Retry-After': String(Math.ceil(wait / 1000)) };
      return finish(429, () => sendJson(res, 429, { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } }, headers));
    }
    const limits = rateBudget.headersAt(Date.now());
    const latencyMs = latency.draw(decision.latencyMs);
    r.dueAt = Date.now() + latencyMs;
    r.timer = setTimeout(() => {
      r.timer = null;
      if (res.destroyed) return;
      r.outcome = 'answered';
      stats.answered++;
      if (r.peak > stats.max_served_in_flight) stats.max_served_in_flight = r.peak;
      finish(200, () => sendJson(res, 200, answer, limits));
    }, latencyMs);
  });
}

function handle(req, res) {
  const path = (req.url || '/').split('?')[0];
  if (path.startsWith('/__')) return handleControl(req, res, path);
  // A request on a connection opened before an outage: the connection breaks (the client's transport error).
  if (outage.down) return req.socket.destroy();
  return handleApi(req, res, path);
}

// The API listener is a server of its own each time it listens: an outage closes it (connections refused)
// and a new one listens when the outage is over. Requests in flight on a closed one carry on.
const sockets = new Set();
const servers = new Set();
let apiServer = null;
let apiPort = opts.port;

function makeServer(handler) {
  const server = http.createServer(handler);
  // A stalled request must stay open until the client gives up: no server-side request timeout.
  server.requestTimeout = 0;
  server.timeout = 0;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  servers.add(server);
  server.on('close', () => servers.delete(server));
  return server;
}

function listenApi(onListening) {
  if (apiServer) return;
  apiServer = makeServer(handle);
  apiServer.on('error', (err) => {
    process.stderr.write(`fake-provider: cannot listen on ${HOST}:${apiPort}: ${err.message}\n`);
    process.exit(1);
  });
  apiServer.listen(apiPort, HOST, () => {
    apiPort = apiServer.address().port;
    if (onListening) onListening();
  });
}

function closeApi() {
  if (!apiServer) return;
  apiServer.close();
  // Idle keep-alive connections go too, so no client slips a request in through one.
  apiServer.closeIdleConnections();
  apiServer = null;
}

let stopping = false;
function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log(`received ${signal}, stopping (in_flight=${open.size})`);
  if (opts.pidFile) {
    try { fs.unlinkSync(opts.pidFile); } catch { /* already gone */ }
  }
  if (opts.controlSocket) {
    try { fs.unlinkSync(opts.controlSocket); } catch { /* already gone */ }
  }
  for (const server of servers) server.close();
  for (const sock of sockets) sock.destroy();
  setImmediate(() => process.exit(0));
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

// The control routes on a Unix socket of their own: reachable while an outage refuses the API port.
if (opts.controlSocket) {
  try { fs.unlinkSync(opts.controlSocket); } catch { /* none left over */ }
  const control = makeServer((req, res) => handleControl(req, res, (req.url || '/').split('?')[0]));
  control.on('error', (err) => {
    process.stderr.write(`fake-provider: cannot listen on ${opts.controlSocket}: ${err.message}\n`);
    process.exit(1);
  });
  control.listen(opts.controlSocket);
}

listenApi(() => {
  if (opts.pidFile) fs.writeFileSync(opts.pidFile, `${process.pid}\n`);
  log(`fake-provider listening on http://${HOST}:${apiPort} pid=${process.pid} latency_ms=${config.latency_ms} saturate_above=${config.saturate_above}`);
});
