<?php
/**
 * Leases in the host's shared memory, through the sluice extension: one
 * segment for every PHP-FPM worker and CLI runner of the host, ~100 ns a pair,
 * and leases of killed workers come back on the next acquire (after draining
 * an open provider request). Each key's small record (RecordStore: the
 * provider protection's state) lives in the key's record of the segment, and
 * each key's token bucket (rate budgets) and capacity counters beside it
 * (NativeCapacityCounters).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class NativeBackend implements Backend, OperatorView, WaitingLine, Capacity, RecordStore, RateBuckets, BlockingAcquire, CapacityCounters
{
    use ForwardsCapacityCounters;

    /** @var array<string, \Sluice\Limiter> see limiter() */
    private array $limiters = [];
    private ?int $maxLimit = null;
    private ?NativeCapacityCounters $counters = null;

    /**
     * @param ?string $scope the scope of this store's leases and line records ("<install>/<blog>"); null: the
     *                       current blog's, looked up on every call (so switch_to_blog() is followed), or "" in a
     *                       process without WordPress; a string pins it
     */
    public function __construct(private readonly ?string $scope = null)
    {
    }

    public function name(): string
    {
        return 'native';
    }

    public function unavailableReason(): ?string
    {
        if (!extension_loaded('sluice')) {
            return 'the sluice PHP extension is not loaded in this PHP (add extension=sluice.so to its php.ini)';
        }
        try {
            \Sluice\segment_info();
        } catch (\Sluice\Exception $e) {
            return $e->getMessage();
        }
        return null;
    }

    /** The segment's slots per key (sluice.max_slots_per_key of the process that created it). */
    public function maxLimit(): int
    {
        return $this->maxLimit ??= (int) \Sluice\segment_info()['slots_per_key'];
    }

    public function raiseMaxLimit(): string
    {
        return 'raise sluice.max_slots_per_key in the php.ini of every PHP that uses Sluice (PHP-FPM and the CLI), then remove the segment once (rm -f ' . \Sluice\segment_path() . ' ' . \Sluice\segment_path() . '.lock) so that the next process creates it with more slots per key';
    }

    public function tryAcquire(array $limits, int $ttl, string $label): Lease|Refusal
    {
        $limiter = $this->limiter($limits, $ttl);
        return $this->granted($limiter, $limits, $limiter->tryAcquire($label));
    }

    /** Limiter::acquire() takes a ticket's reservation since it has its fourth parameter, $ref. */
    public function canBlock(): bool
    {
        static $blocks = null;
        return $blocks ??= (new \ReflectionMethod(\Sluice\Limiter::class, 'acquire'))->getNumberOfParameters() >= 4;
    }

    public function acquireWithin(array $limits, int $ttl, string $label, int $ref, int $timeoutMs): Lease|Refusal
    {
        $limiter = $this->limiter($limits, $ttl);
        return $this->granted($limiter, $limits, $limiter->acquire(max(0, min(600000, $timeoutMs)), $label, [], max(0, $ref)));
    }

    public function readRecord(string $key): StoredRecord
    {
        $r = \Sluice\key_record($key);
        return new StoredRecord((int) $r['version'], (string) $r['data'], (int) $r['now_ms'], (int) $r['cap']);
    }

    public function writeRecord(string $key, int $version, string $data, ?int $cap = null): bool
    {
        return \Sluice\key_record_cas($key, $version, $data, $cap);
    }

    protected function capacityCounters(): NativeCapacityCounters
    {
        return $this->counters ??= new NativeCapacityCounters();
    }

    public function adjustBucket(string $key, float $tokens): void
    {
        \Sluice\bucket_adjust($key, max(-1e9, min(1e9, $tokens)));
    }

    public function observeBucket(string $key, BucketWord $word): void
    {
        // The extension takes pauses of up to an hour and levels of up to 1e9 tokens.
        $said = ['pause_ms' => max(0, min(3_600_000, $word->pauseMs))];
        if ($word->atMost !== null) {
            $said['at_most'] = max(0.0, min(1e9, $word->atMost));
        }
        if ($word->learnedRate > 0) {
            $said += ['learned_rate' => $word->learnedRate, 'learned_burst' => $word->learnedBurst];
        }
        \Sluice\bucket_observe($key, $said);
    }

    public function budgets(): array
    {
        $now = time();
        $budgets = [];
        foreach (\Sluice\key_rates() as $key => $b) {
            $set = $b['rate'] > 0;
            $rate = $set ? $b['rate'] : $b['learned_rate'];
            if ($rate <= 0 && $b['paused_ms'] <= 0) {
                continue; // a key of slots: its capacity counters, no bucket
            }
            $budgets[(string) $key] = new BudgetStatus(
                key: (string) $key,
                perMinute: round($rate * 60 + ($set ? $b['burst'] : $b['learned_burst']), 2),
                source: $set ? 'set' : ($rate > 0 ? 'provider' : ''),
                level: round($b['level'], 2),
                pausedUntil: $b['paused_ms'] > 0 ? $now + (int) ceil($b['paused_ms'] / 1000) : 0,
                takes: (int) $b['takes'],
                refusals: (int) $b['refusals'],
            );
        }
        return $budgets;
    }

    public function tryAcquireTaking(array $limits, int $ttl, string $label, ?int $ref, array $buckets): Lease|Refusal
    {
        $scope = $this->scope();
        $limiter = $this->limiters[serialize([$limits, $ttl, $scope, $buckets])] ??= new \Sluice\Limiter($limits, $ttl, $scope, $buckets);
        $result = $this->granted($limiter, $limits, $ref !== null ? $limiter->tryAcquireFor($ref, $label) : $limiter->tryAcquire($label));
        $bucket = $result instanceof Refusal && $result->reason === Refusal::RATE_BUDGET ? ($buckets[$result->key] ?? null) : null;
        if ($bucket === null || $bucket['rate'] <= 0) {
            return $result;
        }
        return new Refusal($result->key, 0, 0, Refusal::RATE_BUDGET, $result->retryAfterMs, (int) ceil($bucket['tokens'] / $bucket['rate'] * 1000));
    }

    /** The extension keeps the waiting line in its segment (it ships with this plugin). */
    public function lineAvailable(): bool
    {
        return true;
    }

    public function tryAcquireFor(array $limits, int $ttl, string $label, int $ref): Lease|Refusal
    {
        $limiter = $this->limiter($limits, $ttl);
        return $this->granted($limiter, $limits, $limiter->tryAcquireFor($ref, $label));
    }

    public function enqueue(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt): Ticket
    {
        return $this->ticket($limits, $ref, $tenant, $weight, $firstDeferredAt, false);
    }

    public function enqueueHeld(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt): Ticket
    {
        return $this->ticket($limits, $ref, $tenant, $weight, $firstDeferredAt, true);
    }

    /** @param array<string,int> $limits */
    private function ticket(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt, bool $hold): Ticket
    {
        try {
            $t = $this->limiter($limits, 0)->enqueue($ref, $tenant, $weight, $firstDeferredAt, $hold);
        } catch (\Sluice\CapacityException $e) {
            throw new LineFullException($e->getMessage(), 0, $e);
        }
        return new Ticket((string) $t['ticket'], (bool) $t['new'], (int) $t['ahead'], (int) $t['limit'], (int) $t['mean_hold_ms']);
    }

    public function moveTicket(string $ticket, int $ref): bool
    {
        return \Sluice\ticket_set_ref($this->scope(), $ticket, $ref);
    }

    public function cancelTicket(string $ticket): bool
    {
        return \Sluice\ticket_cancel($this->scope(), $ticket);
    }

    public function takeWakes(int $max, bool $ownOnly = false): array
    {
        return array_values(array_map(
            static fn (array $w): Wake => new Wake((string) $w['ticket'], (int) $w['ref'], (int) $w['reserved_left_ms']),
            \Sluice\take_wakes($this->scope(), $max),
        ));
    }

    public function wakeMissed(string $ticket): bool
    {
        return \Sluice\wake_missed($this->scope(), $ticket);
    }

    public function takeStranded(int $max): array
    {
        return array_values(array_map(
            static fn (array $s): StrandedLease => new StrandedLease((int) $s['ref'], (string) $s['label'], (int) $s['pid'], (string) $s['id']),
            \Sluice\take_stranded($this->scope(), $max),
        ));
    }

    public function ackStranded(StrandedLease $entry): void
    {
        \Sluice\ack_stranded($this->scope(), $entry->claim);
    }

    public function returnStranded(StrandedLease $entry): void
    {
        \Sluice\return_stranded($this->scope(), $entry->claim);
    }

    public function staleTickets(int $max): array
    {
        return StaleTickets::in($this->line(), $max, $this->scope());
    }

    public function line(): array
    {
        $queues = [];
        foreach (\Sluice\line() as $q) {
            $tickets = [];
            foreach ($q['tickets'] as $t) {
                $tickets[] = new TicketStatus((string) $t['ticket'], (int) $t['ref'], (string) $t['state'], (int) $t['age_ms'],
                    (int) $t['first_deferred_at'], (int) $t['reserved_left_ms'], (int) $t['effective_weight']);
            }
            $queues[] = new QueueStatus((string) $q['tenant'], (int) $q['weight'], array_map('intval', $q['keys']), $tickets, (string) $q['scope']);
        }
        return $queues;
    }

    /**
     * One limiter per (limits, ttl, blog), reused across actions of this process.
     *
     * @param array<string,int> $limits
     */
    private function limiter(array $limits, int $ttl): \Sluice\Limiter
    {
        $scope = $this->scope();
        return $this->limiters[serialize([$limits, $ttl, $scope])] ??= new \Sluice\Limiter($limits, $ttl, $scope);
    }

    /**
     * The current blog's scope ("<install>/<blog>", as in its key names): the extension matches tickets, wakes and
     * stranded leases on it as well as on the action id, which is unique only per blog.
     */
    private function scope(): string
    {
        return $this->scope ?? Scope::current();
    }

    /** @param array<string,int> $limits */
    private function granted(\Sluice\Limiter $limiter, array $limits, ?\Sluice\Lease $lease): Lease|Refusal
    {
        if ($lease === null) {
            $why = $limiter->lastRefusal() ?? ['key' => '', 'limit' => 0, 'active' => 0, 'kind' => 'slot', 'retry_after_ms' => 0];
            return ($why['kind'] ?? 'slot') === 'rate'
                ? new Refusal((string) $why['key'], 0, 0, Refusal::RATE_BUDGET, (int) $why['retry_after_ms'])
                : new Refusal((string) $why['key'], (int) $why['limit'], (int) $why['active']);
        }
        return new Lease($lease->token(), $limits, $lease, max(Lease::NO_TICKET, $lease->waitedMs()));
    }

    public function release(Lease $lease): bool
    {
        return $this->handle($lease)?->release() ?? \Sluice\release($lease->token);
    }

    public function renew(Lease $lease, int $ttl): bool
    {
        return $this->handle($lease)?->renew($ttl) ?? \Sluice\renew($lease->token, $ttl);
    }

    public function requestStarted(Lease $lease, int $maxSeconds, int $renewTtl = 0): bool
    {
        if ($renewTtl > 0 && !$this->renew($lease, $renewTtl)) {
            return false;
        }
        return $this->handle($lease)?->requestStarted($maxSeconds) ?? \Sluice\request_started($lease->token, $maxSeconds);
    }

    public function requestFinished(Lease $lease): bool
    {
        return $this->handle($lease)?->requestFinished() ?? \Sluice\request_finished($lease->token);
    }

    public function operatorView(): OperatorView
    {
        return $this;
    }

    public function keys(): array
    {
        $keys = [];
        foreach (\Sluice\status() as $key => $row) {
            $holders = [];
            foreach ($row['holders'] as $h) {
                if ($h['waiting']) {
                    continue; // a process blocked in acquire() holds nothing yet
                }
                $holders[] = new Holder(
                    (string) $h['token'],
                    (int) $h['pid'],
                    (string) $h['label'],
                    (int) $h['age_ms'],
                    (int) $h['ttl_left_ms'],
                    (bool) $h['request_open'],
                    (int) $h['drain_left_ms'],
                    (int) $h['ref'],
                    (bool) $h['reservation'],
                    scope: (string) $h['scope'],
                    ownerDead: (bool) $h['owner_dead'],
                );
            }
            $keys[(string) $key] = new KeyStatus(
                key: (string) $key,
                limit: (int) $row['limit'],
                active: (int) $row['active'],
                peak: (int) $row['peak'],
                acquired: (int) $row['acquired'],
                throttled: (int) $row['throttled'],
                released: (int) $row['released'],
                reclaimedDead: (int) $row['reclaimed_dead'],
                reclaimedExpired: (int) $row['reclaimed_expired'],
                holders: $holders,
                meanHoldMs: (int) $row['mean_hold_ms'],
                queued: (int) $row['queued'],
                reserved: (int) $row['reserved'],
                wakesSent: (int) $row['wakes_sent'],
                wakesLapsed: (int) $row['wakes_lapsed'],
                wakesMissed: (int) $row['wakes_missed'],
                peakSince: (int) ($row['peak_since'] ?? 0),
            );
        }
        return $keys;
    }

    public function releaseToken(string $token): bool
    {
        return \Sluice\release($token);
    }

    public function reset(string $key): int
    {
        return \Sluice\reset($key);
    }

    public function sweep(): int
    {
        $swept = \Sluice\sweep();
        return $swept['reclaimed_dead'] + $swept['reclaimed_expired'];
    }

    private function handle(Lease $lease): ?\Sluice\Lease
    {
        return $lease->handle instanceof \Sluice\Lease ? $lease->handle : null;
    }
}
