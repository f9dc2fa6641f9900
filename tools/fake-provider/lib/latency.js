'use strict';
// A service-time distribution for the answers' latency, so a benchmark can drive a queue with a known mean and
// coefficient of variation (standard deviation / mean): /__config `latency_distribution`
// {"kind": "gamma" | "lognormal", "mean_ms": 2000, "cv": 1.5, "seed": 7} draws each answer's latency from that
// distribution (seed: optional, the same draws every run); null (or {"kind": "fixed"}) goes back to `latency_ms`.
// GET /__latency_sample?n=N returns N draws without serving anything (the distribution's own check).
//  - gamma: shape 1/cv^2, scale mean x cv^2 (Marsaglia and Tsang's method; a shape below 1 boosted by U^(1/shape));
//  - lognormal: sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2.

const KINDS = ['fixed', 'gamma', 'lognormal'];
const MAX_SAMPLES = 100000;

// mulberry32: a small seeded generator, uniform in (0, 1).
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

class Latency {
  constructor() {
    this.set(null);
  }

  // Checks a /__config `latency_distribution` value; returns it normalised (null: fixed). Throws naming the problem.
  static check(value) {
    if (value === null) return null;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('latency_distribution must be an object or null');
    if (!KINDS.includes(value.kind)) throw new Error(`latency_distribution.kind must be one of ${KINDS.join(', ')}`);
    if (value.kind === 'fixed') return null;
    if (typeof value.mean_ms !== 'number' || !(value.mean_ms > 0) || !Number.isFinite(value.mean_ms)) throw new Error('latency_distribution.mean_ms must be a number > 0');
    if (typeof value.cv !== 'number' || !(value.cv > 0) || value.cv > 10) throw new Error('latency_distribution.cv must be a number > 0 and <= 10');
    if (value.seed !== undefined && !Number.isInteger(value.seed)) throw new Error('latency_distribution.seed must be an integer');
    return { kind: value.kind, mean_ms: value.mean_ms, cv: value.cv, seed: value.seed };
  }

  set(dist) {
    this.dist = dist;
    this.random = dist && dist.seed !== undefined ? seeded(dist.seed) : Math.random;
  }

  describe() {
    return this.dist ? { kind: this.dist.kind, mean_ms: this.dist.mean_ms, cv: this.dist.cv } : { kind: 'fixed' };
  }

  uniform() {
    let u = 0;
    while (u <= 0 || u >= 1) u = this.random();
    return u;
  }

  normal() {
    // Box-Muller
    return Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }

  gamma(shape) {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x;
      let v;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  // One answer's latency in ms: from the distribution, else `fixedMs` (latency_ms under load).
  draw(fixedMs) {
    const d = this.dist;
    if (!d) return fixedMs;
    if (d.kind === 'gamma') {
      const shape = 1 / (d.cv * d.cv);
      return Math.max(0, Math.round(this.gamma(shape) * d.mean_ms / shape));
    }
    const sigma2 = Math.log(1 + d.cv * d.cv);
    return Math.max(0, Math.round(Math.exp(Math.log(d.mean_ms) - sigma2 / 2 + Math.sqrt(sigma2) * this.normal())));
  }

  sample(n, fixedMs) {
    const count = Math.max(1, Math.min(MAX_SAMPLES, n | 0));
    const out = [];
    for (let i = 0; i < count; i++) out.push(this.draw(fixedMs));
    return out;
  }
}

module.exports = { Latency };
