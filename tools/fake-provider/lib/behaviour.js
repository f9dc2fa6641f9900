'use strict';
// How the provider answers one API request, given its configuration and what is in flight:
//  - outage: handled before a request exists (the listener is closed: connection refused; see outage.js);
//  - fail rules: requests whose header matches (e.g. one flow's) get a status while the rule's window lasts;
//  - above capacity: "stall" (accepted, never answered: the client's cURL 28), or an immediate "429" (with
//    Retry-After), "503" or "529" (overloaded);
//  - else served after the latency, which rises with load: latency_ms x (1 + latency_per_load x
//    (requests being served, this one included, - 1) / capacity).

const OVER_CAPACITY = ['stall', '429', '503', '529'];

function checkFailRules(rules) {
  if (!Array.isArray(rules)) throw new Error('fail_rules must be a list');
  return rules.map((r, i) => {
    if (!r || typeof r !== 'object') throw new Error(`fail_rules[${i}] must be an object`);
    if (typeof r.header !== 'string' || r.header === '') throw new Error(`fail_rules[${i}].header must name a request header`);
    if (typeof r.value !== 'string') throw new Error(`fail_rules[${i}].value must be a string`);
    if (!Number.isInteger(r.status) || r.status < 400 || r.status > 599) throw new Error(`fail_rules[${i}].status must be 400..599`);
    for (const k of ['from_ms', 'until_ms']) {
      if (r[k] !== undefined && (!Number.isInteger(r[k]) || r[k] < 0)) throw new Error(`fail_rules[${i}].${k} must be a non-negative integer`);
    }
    return { header: r.header.toLowerCase(), value: r.value, status: r.status, from_ms: r.from_ms || 0, until_ms: r.until_ms === undefined ? Infinity : r.until_ms };
  });
}

// {kind: 'fail', status} | {kind: 'stall'} | {kind: 'reject', status, retryAfter} | {kind: 'serve', latencyMs}
function decide(config, capacity, req, now, othersInFlight, servingCount) {
  const elapsed = now - capacity.t0;
  for (const rule of config.fail_rules) {
    if (elapsed >= rule.from_ms && elapsed < rule.until_ms && String(req.headers[rule.header] || '') === rule.value) {
      return { kind: 'fail', status: rule.status };
    }
  }
  const cap = capacity.at(now);
  if (othersInFlight >= cap) {
    if (config.over_capacity === 'stall') return { kind: 'stall' };
    return { kind: 'reject', status: Number(config.over_capacity), retryAfter: config.retry_after_s };
  }
  const load = Number.isFinite(cap) ? servingCount / Math.max(1, cap) : 0;
  return { kind: 'serve', latencyMs: Math.round(config.latency_ms * (1 + config.latency_per_load * load)) };
}

module.exports = { OVER_CAPACITY, checkFailRules, decide };
