<?php
/**
 * Counts each AI step's decisions into the store's per-minute capacity
 * counters (Backend\CapacityCounters), on every key the step takes (site,
 * provider, tenant, mode keys: each key's view is its own). What one step
 * adds is buffered and written in ONE store call: an admission with its
 * completion when its lease goes back (or at request end), a deferral at
 * once. So the native backend adds no query. A store whose write is a query
 * (database, Redis) is written at most every BATCH_SECONDS and at request
 * end: the steps a queue run admits, finishes and defers meanwhile go in one
 * statement, and the view is at most that late. A step whose process dies while it runs counts
 * nothing (the lease the store reclaims from a dead holder is no completion).
 *
 * - arrival: a step's first run (admitted or deferred); a deferred copy
 *   running again, or a step requeued after its runner died, is none. Told by
 *   the lease (it came with a ticket of the waiting line) or, for a deferral,
 *   by the work's history in the event log (which Deferral reads anyway);
 *   with the waiting line off, copies carry no ticket, so an admission reads
 *   the history (one event-log query, only then).
 * - admission, and its wait: since the step's first deferral (0 when admitted
 *   at once).
 * - completion: hold time and its square, from the admission to the release.
 * - deferral (any reason).
 * - provider request: each request of the step to its provider.
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

use SluiceWP\Backend\CapacityCounters;
use SluiceWP\Backend\Lease;
use SluiceWP\Gate\WorkHistory;

defined('ABSPATH') || exit;

final class CapacityRecorder
{
    private const ARRIVALS = 0;
    private const ADMISSIONS = 1;
    private const COMPLETIONS = 2;
    private const HOLD_MS = 3;
    private const HOLD_MS_SQUARED = 4;
    private const WAIT_MS = 5;
    private const DEFERRALS = 6;
    private const PROVIDER_REQUESTS = 7;
    /** A hold time counts at most this long (an hour: far above any lease TTL), so its square stays an exact integer. */
    private const MAX_HOLD_MS = 3_600_000;
    /** The longest a batched store's counts wait in this process (see $batched). */
    public const BATCH_SECONDS = 5.0;

    /** @var array<string, array<int, int>> counts not written yet: key => [counter => amount] */
    private array $pending = [];
    /** @var array<int, array{keys: list<string>, since: float}> admitted actions: their keys and when they took them */
    private array $running = [];
    /** microtime() of the last write to the store (0: none yet). */
    private float $lastWrite = 0.0;

    /**
     * @param \Closure(string): WorkHistory $historyOf the event log's history of a work key (ThrottleLog::historyOf)
     * @param bool $lineOn whether deferred steps wait in the store's line with a ticket (the waiting line is on)
     */
    public function __construct(
        private readonly CapacityCounters $store,
        private readonly \Closure $historyOf,
        private readonly bool $lineOn,
        /** Whether a write costs a query (database, Redis): then counts wait up to BATCH_SECONDS for the next steps'. */
        private readonly bool $batched = false,
    ) {
    }

    /** The step took its slots (Gate): an arrival if it never waited before, and how long it waited. */
    public function admitted(int $actionId, string $workKey, Lease $lease): void
    {
        $keys = array_map('strval', array_keys($lease->limits));
        $arrival = false;
        $waitedMs = $lease->waitedMs;
        if ($waitedMs === Lease::WAIT_NOT_KNOWN || ($waitedMs === Lease::NO_TICKET && !$this->lineOn)) {
            $history = ($this->historyOf)($workKey);
            $first = $history->firstDeferredAt ?? $history->placedSince;
            $arrival = $first === null;
            $waitedMs = $first === null ? 0 : max(0, (int) round(microtime(true) * 1000) - $first * 1000);
        } elseif ($waitedMs === Lease::NO_TICKET) {
            $arrival = true;
            $waitedMs = 0;
        }
        $this->add($keys, [self::ARRIVALS => $arrival ? 1 : 0, self::ADMISSIONS => 1, self::WAIT_MS => $waitedMs]);
        $this->running[$actionId] = ['keys' => $keys, 'since' => microtime(true)];
    }

    /** The step gave its lease back after running: its completion and hold time, written with its admission. */
    public function released(int $actionId): void
    {
        $step = $this->running[$actionId] ?? null;
        unset($this->running[$actionId]);
        if ($step !== null) {
            $holdMs = min(self::MAX_HOLD_MS, max(0, (int) round((microtime(true) - $step['since']) * 1000)));
            $this->add($step['keys'], [self::COMPLETIONS => 1, self::HOLD_MS => $holdMs, self::HOLD_MS_SQUARED => $holdMs * $holdMs]);
        }
        $this->flushWhenDue();
    }

    /**
     * The step was deferred (any reason), written at once; an arrival if it had never been deferred nor run before.
     *
     * @param array<string,int> $keyLimits the keys it asked for
     */
    public function deferred(array $keyLimits, WorkHistory $history): void
    {
        $arrival = $history->deferrals === 0 && $history->placedSince === null;
        $this->add(array_map('strval', array_keys($keyLimits)), [self::ARRIVALS => $arrival ? 1 : 0, self::DEFERRALS => 1]);
        $this->flushWhenDue();
    }

    /** The running step sends a request to its provider. */
    public function providerRequest(int $actionId): void
    {
        $step = $this->running[$actionId] ?? null;
        if ($step !== null) {
            $this->add($step['keys'], [self::PROVIDER_REQUESTS => 1]);
        }
    }

    /** Request end: what is still buffered goes to the store (steps still running count no completion here). */
    public function flush(): void
    {
        if ($this->pending === []) {
            return;
        }
        $counts = $this->pending;
        $this->pending = [];
        $this->lastWrite = microtime(true);
        $this->store->addCounts($counts);
    }

    /** flush() now, or for a batched store once BATCH_SECONDS have passed since its last write. */
    private function flushWhenDue(): void
    {
        if (!$this->batched || microtime(true) - $this->lastWrite >= self::BATCH_SECONDS) {
            $this->flush();
        }
    }

    /**
     * @param list<string>    $keys
     * @param array<int, int> $counts
     */
    private function add(array $keys, array $counts): void
    {
        foreach ($keys as $key) {
            foreach ($counts as $counter => $amount) {
                if ($amount > 0) {
                    $this->pending[$key][$counter] = ($this->pending[$key][$counter] ?? 0) + $amount;
                }
            }
        }
    }
}
