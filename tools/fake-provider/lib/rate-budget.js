'use strict';
// A provider's requests- and tokens-per-minute budgets, metered as OpenAI meters them: a sliding
// 60 s window of the requests it took and the tokens they used. A request over either budget is
// answered 429 with Retry-After; with rate_headers on, every answer carries OpenAI's x-ratelimit-*
// headers (limit, remaining, reset as a Go duration such as "12ms" or "1m3s"). Set by /__config:
// rpm_limit, tpm_limit (0 = no budget), rate_headers (true/false).

const WINDOW_MS = 60000;

function goDuration(ms) {
  ms = Math.max(0, Math.ceil(ms));
  if (ms < 1000) return `${ms}ms`;
  const minutes = Math.floor(ms / 60000);
  const seconds = Number(((ms % 60000) / 1000).toFixed(3));
  return `${minutes ? `${minutes}m` : ''}${seconds}s`;
}

class RateBudget {
  constructor() {
    this.rpm = 0;
    this.tpm = 0;
    this.headers = false;
    this.restart();
  }

  restart() {
    this.taken = []; // {at, tokens}, oldest first
    this.refused = 0;
  }

  // Checks the /__config body's entries of this module; returns the changes (throws on a bad one).
  static check(body) {
    const out = {};
    for (const key of ['rpm_limit', 'tpm_limit']) {
      if (body[key] === undefined) continue;
      if (!Number.isInteger(body[key]) || body[key] < 0) throw new Error(`${key} must be a non-negative integer`);
      out[key] = body[key];
    }
    if (body.rate_headers !== undefined) {
      if (typeof body.rate_headers !== 'boolean') throw new Error('rate_headers must be true or false');
      out.rate_headers = body.rate_headers;
    }
    return out;
  }

  apply(changes) {
    if (changes.rpm_limit !== undefined) this.rpm = changes.rpm_limit;
    if (changes.tpm_limit !== undefined) this.tpm = changes.tpm_limit;
    if (changes.rate_headers !== undefined) this.headers = changes.rate_headers;
  }

  prune(now) {
    while (this.taken.length && this.taken[0].at <= now - WINDOW_MS) this.taken.shift();
  }

  // Takes one request of `tokens` from the budgets: 0 when it fits, else the ms until it would.
  take(now, tokens) {
    this.prune(now);
    let wait = 0;
    if (this.rpm && this.taken.length >= this.rpm) wait = this.taken[this.taken.length - this.rpm].at + WINDOW_MS - now;
    if (this.tpm) {
      let used = tokens;
      for (const t of this.taken) used += t.tokens;
      // Tokens come back as the oldest requests leave the window.
      for (let i = 0; used > this.tpm && i < this.taken.length; i++) {
        used -= this.taken[i].tokens;
        wait = Math.max(wait, this.taken[i].at + WINDOW_MS - now);
      }
    }
    if (wait > 0) {
      this.refused++;
      return wait;
    }
    this.taken.push({ at: now, tokens });
    return 0;
  }

  // The x-ratelimit-* headers of an answer now (none unless rate_headers is on).
  headersAt(now) {
    if (!this.headers) return {};
    this.prune(now);
    const whole = this.taken.length ? this.taken[this.taken.length - 1].at + WINDOW_MS - now : 0;
    const h = {};
    if (this.rpm) {
      h['x-ratelimit-limit-requests'] = String(this.rpm);
      h['x-ratelimit-remaining-requests'] = String(Math.max(0, this.rpm - this.taken.length));
      h['x-ratelimit-reset-requests'] = goDuration(whole);
    }
    if (this.tpm) {
      const used = this.taken.reduce((sum, t) => sum + t.tokens, 0);
      h['x-ratelimit-limit-tokens'] = String(this.tpm);
      h['x-ratelimit-remaining-tokens'] = String(Math.max(0, this.tpm - used));
      h['x-ratelimit-reset-tokens'] = goDuration(whole);
    }
    return h;
  }

  describe() {
    return { rpm_limit: this.rpm, tpm_limit: this.tpm, rate_headers: this.headers, refused: this.refused };
  }
}

module.exports = { RateBudget, goDuration };
