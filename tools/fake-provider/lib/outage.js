'use strict';
// Outage windows: from `from_ms` to `until_ms` after the schedule's start the API listener is closed, so a
// client's connect is refused (cURL error 7), as when a provider's endpoint is down. Requests already in
// flight carry on. The control routes stay reachable on the control socket (--control-socket).

class Outage {
  constructor(capacity, listen, unlisten, log) {
    this.capacity = capacity;
    this.listen = listen;
    this.unlisten = unlisten;
    this.log = log;
    this.windows = [];
    this.timers = [];
    this.down = false;
  }

  // [{from_ms, until_ms}] relative to the schedule's start; replaces any earlier windows.
  set(windows, now = Date.now()) {
    if (!Array.isArray(windows)) throw new Error('outages must be a list of {from_ms, until_ms}');
    const checked = windows.map((w, i) => {
      if (!w || !Number.isInteger(w.from_ms) || !Number.isInteger(w.until_ms) || w.from_ms < 0 || w.until_ms <= w.from_ms) {
        throw new Error(`outages[${i}] needs whole from_ms >= 0 and until_ms > from_ms`);
      }
      return { from_ms: w.from_ms, until_ms: w.until_ms };
    });
    this.windows = checked;
    this.arm(now);
  }

  // (Re)schedules the windows from the schedule's start (after a reset or a new schedule).
  arm(now = Date.now()) {
    this.timers.forEach(clearTimeout);
    this.timers = [];
    if (this.down) this.up();
    for (const w of this.windows) {
      const start = this.capacity.t0 + w.from_ms - now;
      const end = this.capacity.t0 + w.until_ms - now;
      if (end <= 0) continue;
      this.timers.push(setTimeout(() => this.goDown(), Math.max(0, start)));
      this.timers.push(setTimeout(() => this.up(), end));
    }
  }

  goDown() {
    if (this.down) return;
    this.down = true;
    this.unlisten();
    this.log('outage: connections refused');
  }

  up() {
    if (!this.down) return;
    this.down = false;
    this.listen();
    this.log('outage over: listening again');
  }

  describe() {
    return this.windows;
  }
}

module.exports = { Outage };
