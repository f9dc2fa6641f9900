'use strict';
// The provider's capacity over time: a schedule of phases (capacity for a duration, the last one open-ended),
// counted from the schedule's start (the last /__reset, or the /__config that set it). A capacity of 0 means
// unlimited. `--saturate-above C` and `saturate_above` are the one-phase schedule "C".

// "4x40s,1x40s,3" or [[4, 40000], [1, 40000], [3, 0]] -> [{capacity, ms}]; ms 0 only on the last phase.
function parseSchedule(value) {
  let phases;
  if (Array.isArray(value)) {
    phases = value.map((p) => (Array.isArray(p) ? { capacity: p[0], ms: p[1] === undefined ? 0 : p[1] } : p));
  } else if (typeof value === 'string') {
    phases = value.split(',').map((part) => {
      const m = /^\s*(\d+)\s*(?:x\s*(\d+)(ms|s))?\s*$/.exec(part);
      if (!m) throw new Error(`capacity schedule: "${part}" is not C or CxNs (e.g. 4x40s,1x40s,3)`);
      return { capacity: Number(m[1]), ms: m[2] === undefined ? 0 : Number(m[2]) * (m[3] === 's' ? 1000 : 1) };
    });
  } else {
    throw new Error('capacity schedule: give a string such as "4x40s,1x40s,3" or a list of [capacity, ms]');
  }
  if (phases.length === 0) throw new Error('capacity schedule: no phase');
  phases.forEach((p, i) => {
    if (!p || !Number.isInteger(p.capacity) || p.capacity < 0) throw new Error(`capacity schedule: phase ${i + 1} needs a capacity of 0 (unlimited) or more`);
    if (!Number.isInteger(p.ms) || p.ms < 0) throw new Error(`capacity schedule: phase ${i + 1} needs a duration of 0 or more ms`);
    if (p.ms === 0 && i !== phases.length - 1) throw new Error(`capacity schedule: only the last phase may be open-ended (phase ${i + 1} has no duration)`);
  });
  return phases.map((p) => ({ capacity: p.capacity, ms: p.ms }));
}

class Capacity {
  constructor(constant = 0) {
    this.phases = [{ capacity: constant, ms: 0 }];
    this.t0 = Date.now();
  }

  setSchedule(value, now = Date.now()) {
    this.phases = parseSchedule(value);
    this.t0 = now;
  }

  restart(now = Date.now()) {
    this.t0 = now;
  }

  // Capacity at `now` (Infinity when unlimited). After the last timed phase, the last phase holds.
  at(now = Date.now()) {
    let t = this.t0;
    for (const p of this.phases) {
      if (p.ms === 0 || now < t + p.ms) return p.capacity === 0 ? Infinity : p.capacity;
      t += p.ms;
    }
    const last = this.phases[this.phases.length - 1];
    return last.capacity === 0 ? Infinity : last.capacity;
  }

  // Times in (from, to) where the capacity changes.
  boundaries(from, to) {
    const out = [];
    let t = this.t0;
    for (const p of this.phases) {
      if (p.ms === 0) break;
      t += p.ms;
      if (t > from && t < to) out.push(t);
    }
    return out;
  }

  // Capacity x seconds from `from` to `to` (request-seconds the schedule offers); Infinity when unlimited.
  integral(from, to) {
    let total = 0;
    let a = from;
    for (const b of [...this.boundaries(from, to), to]) {
      total += this.at(a) * ((b - a) / 1000);
      a = b;
    }
    return total;
  }

  describe() {
    return this.phases.map((p) => (p.ms ? `${p.capacity}x${p.ms / 1000}s` : `${p.capacity}`)).join(',');
  }
}

module.exports = { Capacity, parseSchedule };
