'use strict';
// What the provider saw over time, for the benchmarks: how long it had more requests in flight than its
// capacity (every open request counts, stalled ones included), since the last reset, and one record per
// API request (bounded), with when it came, when it ended and how.

const MAX_RECORDS = 100000;

class Timeline {
  constructor(capacity) {
    this.capacity = capacity;
    this.reset(Date.now(), 0);
  }

  reset(now, level) {
    this.t0 = now;
    this.last = now;
    this.level = level;
    this.overMs = 0;
    this.records = [];
    this.dropped = 0;
  }

  // The number of requests in flight changes to `level` at `now`.
  change(now, level) {
    let a = this.last;
    for (const b of [...this.capacity.boundaries(a, now), now]) {
      if (this.level > this.capacity.at(a)) this.overMs += b - a;
      a = b;
    }
    this.last = now;
    this.level = level;
  }

  record(entry) {
    if (this.records.length >= MAX_RECORDS) {
      this.dropped++;
      return;
    }
    this.records.push(entry);
  }

  snapshot(now) {
    this.change(now, this.level);
    const observed = Math.max(0, now - this.t0);
    return {
      since_ms: this.t0,
      observed_ms: observed,
      over_capacity_ms: this.overMs,
      over_capacity_share: observed > 0 ? this.overMs / observed : 0,
    };
  }
}

module.exports = { Timeline };
