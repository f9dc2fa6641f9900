<?php
/**
 * One provider's protection state, as the lease store keeps it beside the
 * provider's key (one small record every process and host reads and
 * compare-and-sets: Backend\RecordStore): the adaptive limit (its value,
 * successes since it last changed, its last decrease), the last congestion
 * signal and when, the latency baseline and mean request time, and the
 * circuit breaker (closed or open, consecutive failures, when it opened,
 * the next probe, the cool-down, why, and counters). Times are the store's
 * clock in milliseconds. Immutable: the rules (AdaptiveLimit,
 * CircuitBreaker) return a changed copy.
 *
 * Encoded as 76 bytes (encode()/decode()); a record that does not decode
 * (another layout, damage) reads as a fresh state, never an error.
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

final class ProviderState
{
    public const CLOSED = 'closed';
    public const OPEN = 'open';

    private const FORMAT_VERSION = 3;
    private const PACK = 'CnNJCJNNCnJJNCnNNJn';
    private const UNPACK = 'Cv/nlimit/Nsuccesses/JlastDecreaseMs/Csignal/JsignalMs/NbaselineMs/NmeanMs/Ccircuit/nfailures/JopenedMs/JnextProbeMs/NcooldownMs/Creason/nlimitBeforeOpen/Nopens/Ncooldowns/JlastRefusedMs/nplateau';
    public const BYTES = 76;

    public function __construct(
        /** The effective limit; 0 until the first change (the ceiling then applies). */
        public readonly int $limit = 0,
        /** Successes since the limit last changed. */
        public readonly int $successes = 0,
        public readonly int $lastDecreaseMs = 0,
        /** The last congestion signal (null: none yet) and when it came. */
        public readonly ?Signal $signal = null,
        public readonly int $signalMs = 0,
        /** Exponentially weighted mean latency of successful answers (0: unknown). */
        public readonly int $baselineMs = 0,
        /** Exponentially weighted mean time of every request, answered or not (0: unknown): the decrease's guard. */
        public readonly int $meanMs = 0,
        public readonly string $circuit = self::CLOSED,
        /** Consecutive failures while closed. */
        public readonly int $failures = 0,
        public readonly int $openedMs = 0,
        public readonly int $nextProbeMs = 0,
        public readonly int $cooldownMs = 0,
        /** The failure that opened the breaker (or reopened it). */
        public readonly ?Signal $circuitReason = null,
        public readonly int $limitBeforeOpen = 0,
        /** Closed -> open transitions, and cool-downs started (opens plus reopens after a failed probe). */
        public readonly int $opens = 0,
        public readonly int $cooldowns = 0,
        /** When an AI call last found the provider key full (the limit binds: work waits for it). */
        public readonly int $lastRefusedMs = 0,
        /** The limit in force when the last congestion signal brought it down (0: none yet): the level to approach slowly. */
        public readonly int $plateau = 0,
    ) {
    }

    /** @param array<string, mixed> $changes property => new value */
    public function with(array $changes): self
    {
        return new self(...array_merge(get_object_vars($this), $changes));
    }

    public function isOpen(): bool
    {
        return $this->circuit === self::OPEN;
    }

    public function encode(): string
    {
        return pack(
            self::PACK,
            self::FORMAT_VERSION,
            self::clamp($this->limit, 0xffff),
            self::clamp($this->successes, 0xffffffff),
            max(0, $this->lastDecreaseMs),
            $this->signal?->code() ?? 0,
            max(0, $this->signalMs),
            self::clamp($this->baselineMs, 0xffffffff),
            self::clamp($this->meanMs, 0xffffffff),
            $this->isOpen() ? 1 : 0,
            self::clamp($this->failures, 0xffff),
            max(0, $this->openedMs),
            max(0, $this->nextProbeMs),
            self::clamp($this->cooldownMs, 0xffffffff),
            $this->circuitReason?->code() ?? 0,
            self::clamp($this->limitBeforeOpen, 0xffff),
            self::clamp($this->opens, 0xffffffff),
            self::clamp($this->cooldowns, 0xffffffff),
            max(0, $this->lastRefusedMs),
            self::clamp($this->plateau, 0xffff),
        );
    }

    /** A stored record; '' (none yet) or one that does not decode is a fresh state. */
    public static function decode(string $bytes): self
    {
        if (strlen($bytes) !== self::BYTES || ord($bytes[0]) !== self::FORMAT_VERSION) {
            return new self();
        }
        $f = unpack(self::UNPACK, $bytes);
        if (!is_array($f)) {
            return new self();
        }
        return new self(
            limit: (int) $f['limit'],
            successes: (int) $f['successes'],
            lastDecreaseMs: (int) $f['lastDecreaseMs'],
            signal: Signal::fromCode((int) $f['signal']),
            signalMs: (int) $f['signalMs'],
            baselineMs: (int) $f['baselineMs'],
            meanMs: (int) $f['meanMs'],
            circuit: (int) $f['circuit'] === 1 ? self::OPEN : self::CLOSED,
            failures: (int) $f['failures'],
            openedMs: (int) $f['openedMs'],
            nextProbeMs: (int) $f['nextProbeMs'],
            cooldownMs: (int) $f['cooldownMs'],
            circuitReason: Signal::fromCode((int) $f['reason']),
            limitBeforeOpen: (int) $f['limitBeforeOpen'],
            opens: (int) $f['opens'],
            cooldowns: (int) $f['cooldowns'],
            lastRefusedMs: (int) $f['lastRefusedMs'],
            plateau: (int) $f['plateau'],
        );
    }

    /**
     * Whether writing $next instead of this state is worth a store write: any
     * field changed, except the two running means, which must move by more
     * than 1/16 (a steady provider then costs no write per answer).
     */
    public function differsMateriallyFrom(self $next): bool
    {
        $a = get_object_vars($this);
        $b = get_object_vars($next);
        foreach (['baselineMs', 'meanMs'] as $mean) {
            $moved = abs($a[$mean] - $b[$mean]) * 16 > max($a[$mean], $b[$mean]);
            if ($moved) {
                return true;
            }
            unset($a[$mean], $b[$mean]);
        }
        return $a != $b;
    }

    private static function clamp(int $value, int $max): int
    {
        return max(0, min($max, $value));
    }
}
