<?php
/**
 * A bounded wait for a slot, for work that is already running and cannot be
 * deferred: an AI step taking its slot back after its provider's backoff,
 * and AI calls that are not queued actions (chat, REST, other plugins). With
 * a waiting line it waits in it at the top weight, so a freed slot is
 * reserved for it before a newcomer's turn and it is served ahead of queued
 * work that can wait; at the deadline its ticket leaves the line. On the
 * extension's segment it sleeps in the extension's bounded acquire (a futex
 * the release wakes, which then takes the slot or the reservation made for
 * its ticket at once); the database and Redis stores have no such wake, so
 * there it polls (a few times a second). A call that is not an action has
 * no action id, so its ticket carries a waiter id from a range of its own
 * (isWaiterRef()): the hand-off's wake is left for the waiter to claim.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\BlockingAcquire;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\LineFullException;
use SluiceWP\Backend\Refusal;
use SluiceWP\Backend\WaitingLine;

defined('ABSPATH') || exit;

final class BoundedWait
{
    /** Waiter ids start here: far above any action id a queue will reach. */
    public const WAITER_REF_BASE = 1 << 62;
    /** The weight of a waiter's ticket: the top, so it is served before work that waits in its queue. */
    public const WEIGHT = 100;
    private const FIRST_PAUSE_S = 0.02;
    private const LONGEST_PAUSE_S = 0.25;

    public function __construct(
        private readonly Backend $backend,
        private readonly ?WaitingLine $line,
    ) {
    }

    /** A ticket ref that is a waiting call, not a queued action. */
    public static function isWaiterRef(int $ref): bool
    {
        return $ref >= self::WAITER_REF_BASE;
    }

    /** A fresh waiter id for a call that is not a queued action. */
    public static function waiterRef(): int
    {
        return self::WAITER_REF_BASE + random_int(1, (1 << 61) - 1);
    }

    /**
     * Takes a slot on every key within $seconds (0: one try).
     *
     * @param array<string,int> $limits
     * @param int $ref the running action's id, or a waiterRef()
     */
    public function take(array $limits, int $ttl, string $label, int $ref, string $tenant, float $seconds): Lease|Refusal
    {
        $deadline = microtime(true) + max(0.0, $seconds);
        $pause = self::FIRST_PAUSE_S;
        $ticket = null;
        // The store that sleeps: the line's (its tickets' reservations are there), or with no line the backend.
        $store = $this->line ?? $this->backend;
        $sleeper = $store instanceof BlockingAcquire && $store->canBlock() ? $store : null;
        try {
            while (true) {
                $result = $this->line !== null
                    ? $this->line->tryAcquireFor($limits, $ttl, $label, $ref)
                    : $this->backend->tryAcquire($limits, $ttl, $label);
                if ($result instanceof Lease) {
                    $ticket = null; // a grant takes the ticket out of the line
                    return $result;
                }
                $left = $deadline - microtime(true);
                if ($left <= 0) {
                    return $result;
                }
                if ($ticket === null && $this->line !== null) {
                    try {
                        $ticket = $this->line->enqueue($limits, $ref, $tenant, self::WEIGHT, 0)->token;
                    } catch (LineFullException) {
                        $ticket = ''; // a full line: poll without a place in it
                    }
                }
                if ($sleeper !== null) {
                    // Asleep until the deadline, unless a release frees a slot or reserves one for this ticket first.
                    $result = $sleeper->acquireWithin($limits, $ttl, $label, $this->line !== null ? $ref : 0, max(1, (int) ceil($left * 1000)));
                    if ($result instanceof Lease) {
                        $ticket = null; // a grant takes the ticket out of the line
                    }
                    return $result;
                }
                usleep((int) (min($left, $pause) * 1e6));
                $pause = min(self::LONGEST_PAUSE_S, $pause * 1.5);
            }
        } finally {
            if ($ticket !== null && $ticket !== '') {
                $this->line?->cancelTicket($ticket); // its reservation, if it got one meanwhile, goes to the next ticket
            }
        }
    }
}
