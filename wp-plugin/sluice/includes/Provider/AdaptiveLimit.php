<?php
/**
 * The adaptive limit's rules (additive increase, multiplicative decrease, as
 * TCP's congestion avoidance and Netflix's concurrency-limits AIMD): the
 * operator's provider limit is the ceiling; on a congestion signal the limit
 * is multiplied by the decrease factor (never below 1), at most once per
 * recent mean request time, so one burst of failures from requests that
 * were all in flight together counts once; after `increaseAfter` successes
 * at the current limit (by default as many as the limit: one round of
 * answers) it grows by 1, up to the ceiling. The pace of that growth
 * follows TCP CUBIC's plateau around the window of the last loss: a decrease
 * remembers the limit it came down from (the plateau: the provider refused
 * work there); below the plateau less one the limit grows by 1 on every
 * success (the provider answered that many at once a moment ago, so the way
 * back takes about one round, not one round per step); the step from there
 * onto the plateau, where the last signal came, waits PLATEAU_ROUNDS rounds
 * (the provider's capacity is most likely just below it); above the plateau
 * the provider has more room than when it last refused, and the limit grows
 * one round per step again. Plain AIMD's sawtooth (at capacity 4: up to 5, a
 * 429 halves it to 2, then a round per step back) left half the provider
 * idle for several seconds each time. A success well above the latency
 * baseline (latencyFactor times it, and at least a second more) is a
 * congestion signal too. Pure: state in, state out.
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

final class AdaptiveLimit
{
    /** A slow answer counts only this far above the baseline, so fast calls' jitter is never a signal. */
    private const SLOW_MARGIN_MS = 1000;
    /** The decrease waits at least this long when no mean request time is known yet. */
    private const MIN_GUARD_MS = 1000;
    /** The limit binds while work found the key full at most this long ago (or two mean request times). */
    private const BINDING_MS = 2000;
    /** Rounds of successes just below the plateau before the limit steps onto it again. */
    private const PLATEAU_ROUNDS = 3;

    public function __construct(
        /** The limit is multiplied by this on a congestion signal (0.1 .. 0.9). */
        public readonly float $decreaseFactor = 0.5,
        /** Successes at the current limit before it grows by 1; 0: as many as the limit. */
        public readonly int $increaseAfter = 0,
        /** An answer this many times the baseline latency is a congestion signal. */
        public readonly float $latencyFactor = 2.0,
    ) {
    }

    /** The limit in force: the stored one within [1, ceiling]; the ceiling until the first change. */
    public function current(ProviderState $state, int $ceiling): int
    {
        $ceiling = max(1, $ceiling);
        return $state->limit <= 0 ? $ceiling : max(1, min($ceiling, $state->limit));
    }

    /** An answer that took much longer than the key's baseline. */
    public function isSlow(ProviderState $state, int $latencyMs): bool
    {
        return $state->baselineMs > 0
            && $latencyMs > $state->baselineMs * $this->latencyFactor
            && $latencyMs > $state->baselineMs + self::SLOW_MARGIN_MS;
    }

    /**
     * The running means after one request: the mean request time (every
     * request: the decrease's guard) and, for an answer, the latency baseline
     * (a slow answer moves it a little, so a provider that became slower for
     * good is its new normal after a few dozen answers).
     */
    public function observe(ProviderState $state, int $durationMs, bool $answered, bool $slow): ProviderState
    {
        $durationMs = max(1, $durationMs);
        $changes = ['meanMs' => self::ewma($state->meanMs, $durationMs, 0.25)];
        if ($answered) {
            $changes['baselineMs'] = self::ewma($state->baselineMs, $durationMs, $slow ? 0.05 : 0.2);
        }
        return $state->with($changes);
    }

    /**
     * One success at the current limit: after enough of them the limit grows
     * by 1, up to the ceiling (how many: successesToGrow()); only while the limit binds (work found the key
     * full within the last two mean request times, at least 2 s), so a quiet
     * provider's limit does not creep up to the ceiling on answers that say
     * nothing about more load.
     */
    public function afterSuccess(ProviderState $state, int $ceiling, int $nowMs = 0): ProviderState
    {
        $limit = $this->current($state, $ceiling);
        $binding = $nowMs === 0 || $nowMs - $state->lastRefusedMs <= max(self::BINDING_MS, 2 * $state->meanMs);
        if ($limit < $ceiling && !$binding) {
            return $state;
        }
        if ($limit >= $ceiling) {
            return $state->successes === 0 && $state->limit === $limit ? $state : $state->with(['limit' => $limit, 'successes' => 0]);
        }
        $successes = $state->successes + 1;
        if ($successes < $this->successesToGrow($state, $limit)) {
            return $state->with(['limit' => $limit, 'successes' => $successes]);
        }
        return $state->with(['limit' => $limit + 1, 'successes' => 0]);
    }

    /**
     * The successes at $limit before it grows by 1: one round (increaseAfter,
     * or as many as the limit) at or above the plateau; one success below the
     * plateau less one; PLATEAU_ROUNDS rounds at the plateau less one.
     */
    public function successesToGrow(ProviderState $state, int $limit): int
    {
        $round = $this->increaseAfter > 0 ? $this->increaseAfter : $limit;
        if ($state->plateau <= 0 || $limit >= $state->plateau) {
            return $round;
        }
        return $limit < $state->plateau - 1 ? 1 : self::PLATEAU_ROUNDS * $round;
    }

    /**
     * A congestion signal: the limit times the decrease factor (never below 1),
     * unless it came down less than a mean request time ago (then the signal
     * is only recorded). The limit it came down from is the new plateau; each
     * further signal before the next decrease lowers the plateau by one (not
     * to the limit in force or below): requests that were in flight together
     * and were refused together say how far above the capacity the plateau
     * was, so the fast climb stops short of it (8 at once against a capacity
     * of 4: four refusals, the limit 4, the plateau 5).
     */
    public function afterCongestion(ProviderState $state, int $ceiling, Signal $signal, int $nowMs): ProviderState
    {
        $state = $state->with(['signal' => $signal, 'signalMs' => $nowMs]);
        $guard = max(self::MIN_GUARD_MS, $state->meanMs);
        if ($state->lastDecreaseMs > 0 && $nowMs - $state->lastDecreaseMs < $guard) {
            $floor = $this->current($state, $ceiling) + 1;
            return $state->plateau > $floor ? $state->with(['plateau' => $state->plateau - 1]) : $state;
        }
        $limit = $this->current($state, $ceiling);
        return $state->with([
            'limit' => $this->decreased($limit),
            'successes' => 0,
            'lastDecreaseMs' => $nowMs,
            'plateau' => $limit,
        ]);
    }

    /** Work found the provider key full now: the limit binds. */
    public function refused(ProviderState $state, int $nowMs): ProviderState
    {
        return $state->with(['lastRefusedMs' => $nowMs]);
    }

    /** The limit a recovered provider starts from: what it had before the outage, decreased once (and that, its plateau). */
    public function afterRecovery(ProviderState $state, int $ceiling, int $nowMs): ProviderState
    {
        $before = $state->limitBeforeOpen > 0 ? min($state->limitBeforeOpen, max(1, $ceiling)) : $this->current($state, $ceiling);
        return $state->with(['limit' => $this->decreased($before), 'successes' => 0, 'lastDecreaseMs' => $nowMs, 'plateau' => $before]);
    }

    private function decreased(int $limit): int
    {
        return max(1, (int) floor($limit * $this->decreaseFactor));
    }

    private static function ewma(int $mean, int $sample, float $alpha): int
    {
        return $mean <= 0 ? $sample : (int) round($mean + $alpha * ($sample - $mean));
    }
}
