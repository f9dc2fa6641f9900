<?php
/**
 * The leases this process holds, by action id. Release happens once per
 * action id whichever end hook comes first (Action Scheduler can fire both
 * after_execute and failed_execution for one action). A queue runner runs
 * one action at a time, so the newest admitted action is the one whose
 * provider requests renew and mark its lease. An AI step that sleeps in its
 * provider's backoff gives its lease back and keeps its place here (its
 * work, without a lease) until it takes one again (StepBackoff).
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Lease;

defined('ABSPATH') || exit;

final class HeldLeases
{
    /** @var array<int, Lease|null> null: the step gave its lease back for a while */
    private array $byAction = [];
    /** @var array<int, AiWork> */
    private array $work = [];
    /** @var array<int, float> when each admitted action took its slots (microtime) */
    private array $since = [];

    /** @param ?StepLog $log where admissions and the ends of holds are written (the event log) */
    public function __construct(private readonly Backend $backend, private readonly ?StepLog $log = null)
    {
    }

    public function hold(int $actionId, Lease $lease, ?AiWork $work = null): void
    {
        if (!array_key_exists($actionId, $this->byAction) && $work !== null) {
            $this->since[$actionId] = microtime(true);
            $this->log?->admitted($work, $lease, max(0, $lease->waitedMs)); // NO_TICKET / WAIT_NOT_KNOWN: 0
        }
        unset($this->byAction[$actionId]); // the newest hold is the running one
        $this->byAction[$actionId] = $lease;
        if ($work !== null) {
            $this->work[$actionId] = $work;
        }
    }

    /** Admitted and not ended (it may have given its lease back for a while). */
    public function isHeld(int $actionId): bool
    {
        return array_key_exists($actionId, $this->byAction);
    }

    /** The lease of the action running now, if it holds one. */
    public function current(): ?Lease
    {
        return $this->byAction === [] ? null : $this->byAction[array_key_last($this->byAction)];
    }

    /** The action running now (admitted, not ended), if any. */
    public function runningAction(): ?int
    {
        return $this->byAction === [] ? null : array_key_last($this->byAction);
    }

    public function work(int $actionId): ?AiWork
    {
        return $this->work[$actionId] ?? null;
    }

    /** The action's lease went back while it sleeps (StepBackoff); it is still running. */
    public function givenBack(int $actionId): void
    {
        if (array_key_exists($actionId, $this->byAction)) {
            $this->byAction[$actionId] = null;
        }
    }

    /** Gives the action's lease back; false when it held none (or already gave it back). $atRequestEnd: no end hook came. */
    public function release(int $actionId, bool $atRequestEnd = false): bool
    {
        if (!array_key_exists($actionId, $this->byAction)) {
            return false;
        }
        $lease = $this->byAction[$actionId];
        $work = $this->work[$actionId] ?? null;
        $heldMs = (int) round((microtime(true) - ($this->since[$actionId] ?? microtime(true))) * 1000);
        unset($this->byAction[$actionId], $this->work[$actionId], $this->since[$actionId]);
        if ($lease === null) {
            return false;
        }
        $kept = $this->backend->release($lease);
        if ($work !== null) {
            // false: the lease was no longer this process's (its TTL ran out or a sweep took it back).
            $kept ? $this->log?->finished($work, $heldMs, $atRequestEnd) : $this->log?->reclaimed($work, $heldMs);
        }
        return true;
    }

    /**
     * Request end: whatever is still held goes back.
     *
     * @return list<int> the actions whose leases went back
     */
    public function releaseAll(): array
    {
        $released = [];
        foreach (array_keys($this->byAction) as $actionId) {
            if ($this->release($actionId, true)) {
                $released[] = $actionId;
            }
        }
        return $released;
    }
}
