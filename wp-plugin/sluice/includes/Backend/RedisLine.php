<?php
/**
 * The Redis backend's waiting line, in the same Redis as its leases, so
 * every host shares one line. Each call is one script (RedisLua/): tickets
 * are hashes indexed by key, by queue and by action id; wakes and stranded
 * records are lists popped atomically, so each is taken by exactly one
 * caller however many hosts take at once.
 *
 * The order is the database backend's (LineOrder): start-time fair queueing
 * over the waiting tickets, a ticket's start tag being max(V, its queue's
 * last finish tag), V the smallest start tag waiting (lapsed tickets left
 * out), the finish tag start + 1e6 / weight, a queue being (tenant, weight,
 * key set); aging lifts a long wait to weight 100. A hand-off runs inside
 * every script that frees a slot (release, reclaim, lapse, reset, cancel,
 * sweep) and reserves the slots of the next ticket whose keys all have room.
 *
 * @internal RedisBackend's
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class RedisLine implements LineRecords
{
    /** How long a claim on a stranded lease lasts if its claimer neither acks nor returns it (it died). */
    private const STRANDED_CLAIM_MS = 300000;

    /** @var array<string, true> claims on stranded leases this process has neither acked nor returned */
    private array $unanswered = [];

    private bool $returnsAtShutdown = false;

    public function __construct(private readonly RedisStore $store)
    {
    }

    /**
     * WaitingLine::enqueue(); $held: RateBuckets::enqueueHeld() (the ticket waits lapsed until its action shows up).
     *
     * @param array<string,int> $limits
     */
    public function enqueue(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt, bool $held = false): Ticket
    {
        LeaseArguments::checkLimits($limits);
        LeaseArguments::ref($ref);
        LeaseArguments::weight($weight);
        ksort($limits, SORT_STRING);
        $pairs = [];
        foreach ($limits as $key => $limit) {
            array_push($pairs, (string) $key, $limit);
        }
        $capacity = LineOrder::capacity();
        $reply = $this->store->call('enqueue', array_merge(
            [$ref, LeaseArguments::tenant($tenant), $weight, max(0, $firstDeferredAt) * 1000, bin2hex(random_bytes(16)), $capacity, $held ? 1 : 0],
            $pairs,
        ));
        if (!is_array($reply) || ($reply[0] ?? '') !== 'ok') {
            throw new LineFullException('the waiting line holds ' . (int) ($reply[1] ?? 0) . " tickets, as many as it may ({$capacity}; filter sluice_line_capacity)");
        }
        return new Ticket((string) $reply[1], (int) $reply[2] === 1, (int) $reply[3], (int) min([...array_values($limits), PHP_INT_MAX]), (int) $reply[4]);
    }

    public function moveTicket(string $ticket, int $ref): bool
    {
        return LeaseArguments::isToken($ticket) && $ref >= 1 && $this->store->call('move', [$ticket, $ref]) === 1;
    }

    public function cancelTicket(string $ticket): bool
    {
        return LeaseArguments::isToken($ticket) && $this->store->call('cancel', [$ticket]) === 1;
    }

    /**
     * $ownOnly (after a release): only when a script of this process queued a wake of this scope since
     * it last took them; after a sweep that saw none, nothing either (no round trip).
     *
     * @return list<Wake>
     */
    public function takeWakes(int $max, bool $ownOnly = false): array
    {
        $sweepFound = $this->store->sweepFound('wakes');
        if (!$this->store->takeWakesQueued() && ($ownOnly || $sweepFound === false)) {
            return [];
        }
        $reply = $this->store->call('wakes', [max(1, min($max, 1000))]);
        $wakes = [];
        foreach (array_chunk(is_array($reply) ? $reply : [], 3) as [$ticket, $ref, $leftMs]) {
            $wakes[] = new Wake((string) $ticket, (int) $ref, (int) $leftMs);
        }
        return $wakes;
    }

    public function wakeMissed(string $ticket): bool
    {
        return LeaseArguments::isToken($ticket) && $this->store->call('missed', [$ticket]) === 1;
    }

    /**
     * Claims up to $max stranded leases of this scope (stranded.lua): each is
     * this caller's until it acks it (dropped) or returns it (back at the
     * head of the list); a claim left unanswered goes back at this request's
     * end, or by its deadline if the claimer died (the next take puts lapsed
     * claims back first). The entry's claim is its claim id.
     *
     * @return list<StrandedLease>
     */
    public function takeStranded(int $max): array
    {
        if ($this->store->sweepFound('stranded') === false) {
            return [];
        }
        $reply = $this->store->call('stranded', [max(1, min($max, 1000)), bin2hex(random_bytes(14)), self::STRANDED_CLAIM_MS]);
        $stranded = [];
        foreach (array_chunk(is_array($reply) ? $reply : [], 2) as [$claim, $record]) {
            [$ref, $pid, $label] = array_pad(explode("\n", (string) $record, 3), 3, '');
            $stranded[] = new StrandedLease((int) $ref, $label, (int) $pid, (string) $claim);
            $this->unanswered[(string) $claim] = true;
        }
        if ($this->unanswered !== [] && !$this->returnsAtShutdown) {
            $this->returnsAtShutdown = true;
            register_shutdown_function(function (): void {
                // A throw here would end the process with a fatal error after its work was done (exit 255 for a
                // WP-CLI runner); an unanswered claim lapses by itself after STRANDED_CLAIM_MS.
                try {
                    foreach (array_keys($this->unanswered) as $claim) {
                        $this->answer('unstrand', (string) $claim);
                    }
                } catch (RedisBackendException $e) {
                    error_log('Sluice: stranded entries claimed from Redis could not be given back at request end (they come back when their claim lapses): ' . $e->getMessage());
                }
            });
        }
        return $stranded;
    }

    public function ackStranded(StrandedLease $entry): void
    {
        $this->answer('ackstranded', $entry->claim);
    }

    public function returnStranded(StrandedLease $entry): void
    {
        $this->answer('unstrand', $entry->claim);
    }

    /** Acks or returns one claim of this process (a claim id is 32 hex characters). */
    private function answer(string $script, string $claim): void
    {
        if (isset($this->unanswered[$claim]) && preg_match('/^[0-9a-f]{32}$/', $claim) === 1) {
            unset($this->unanswered[$claim]);
            $this->store->call($script, [$claim]);
        }
    }

    /** @return list<QueueStatus> the whole line, queues in service order, each queue's tickets in its own order */
    public function line(): array
    {
        [$now, $tickets] = $this->tickets('line', []);
        $aging = LineOrder::agingMs();
        /** @var array<string, array{score: float, tenant: string, weight: int, keys: array<string,int>, tickets: list<TicketStatus>, scope: string}> $queues */
        $queues = [];
        foreach ($tickets as $t) {
            $id = ($t['scope'] ?? '') . "\0" . $t['queue']; // a queue is one blog's
            $status = self::ticketStatus($t, $now, $aging);
            $queues[$id] ??= ['score' => INF, 'tenant' => (string) $t['tenant'], 'weight' => (int) $t['weight'],
                'keys' => self::limits((string) $t['keys'], (string) $t['limits']), 'tickets' => [], 'scope' => (string) ($t['scope'] ?? '')];
            $score = $status->state === 'reserved' ? -INF : LineOrder::score((float) $t['start'], (int) $t['weight'], $status->ageMs, $aging);
            $queues[$id]['score'] = min($queues[$id]['score'], $score);
            $queues[$id]['tickets'][] = $status;
        }
        uasort($queues, static fn (array $a, array $b): int => $a['score'] <=> $b['score']);
        return array_values(array_map(
            static fn (array $q): QueueStatus => new QueueStatus($q['tenant'], $q['weight'], $q['keys'], $q['tickets'], $q['scope']),
            $queues,
        ));
    }

    /**
     * Up to $max tickets of this scope that waited WaitingLine::STALE_AFTER_MS or longer since their first
     * deferral (an index by first deferral: the line is not read), in service order; none without a
     * round trip after a sweep that saw none.
     *
     * @return list<TicketStatus>
     */
    public function staleTickets(int $max): array
    {
        if ($this->store->sweepFound('stale') === false) {
            return [];
        }
        [$now, $tickets] = $this->tickets('stale', [max(1, min($max, 1000)), WaitingLine::STALE_AFTER_MS]);
        $aging = LineOrder::agingMs();
        return array_map(static fn (array $t): TicketStatus => self::ticketStatus($t, $now, $aging), $tickets);
    }

    /**
     * A script's tickets (ticket_row in common.lua), in service order (start tag, then arrival).
     *
     * @param list<string|int> $args
     * @return array{int, list<array<string, string>>} Redis's clock (ms) and the tickets
     */
    private function tickets(string $script, array $args): array
    {
        $reply = $this->store->call($script, $args);
        $tickets = array_map([RedisBackend::class, 'hash'], array_slice(is_array($reply) ? $reply : [], 1));
        usort($tickets, static fn (array $a, array $b): int => [(float) $a['start'], (int) $a['seq']] <=> [(float) $b['start'], (int) $b['seq']]);
        return [(int) ($reply[0] ?? 0), $tickets];
    }

    /** @param array<string, string> $t a ticket's fields */
    private static function ticketStatus(array $t, int $now, int $aging): TicketStatus
    {
        $waited = max(0, $now - (int) $t['first']);
        $reserved = $t['state'] === 'reserved';
        return new TicketStatus(
            (string) $t['token'],
            (int) $t['ref'],
            $reserved ? 'reserved' : 'waiting',
            $waited,
            intdiv((int) $t['first'], 1000),
            $reserved ? max(0, (int) $t['reserved_until'] - $now) : 0,
            (int) round(LineOrder::effectiveWeight((int) $t['weight'], $waited, $aging)),
        );
    }

    /** @return array<string,int> key => limit, from the newline-separated lists a ticket keeps */
    private static function limits(string $keys, string $limits): array
    {
        $names = explode("\n", $keys);
        $values = explode("\n", $limits);
        $out = [];
        foreach ($names as $i => $name) {
            $out[$name] = (int) ($values[$i] ?? 0);
        }
        return $out;
    }
}
