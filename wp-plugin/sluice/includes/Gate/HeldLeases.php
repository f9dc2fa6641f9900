<?php
/**
 * The leases this process holds, by action id. Release happens once per
 * action id whichever end hook comes first (Action Scheduler can fire both
 * after_execute and failed_execution for one action). A queue runner runs
 * one action at a time, so the newest admitted action is the one whose
 * provider requests renew and mark its lease.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Lease;

defined('ABSPATH') || exit;

final class HeldLeases
{
    /** @var array<int, Lease> */
    private array $byAction = [];

    public function __construct(private readonly Backend $backend)
    {
    }

    public function hold(int $actionId, Lease $lease): void
    {
        $this->byAction[$actionId] = $lease;
    }

    public function isHeld(int $actionId): bool
    {
        return isset($this->byAction[$actionId]);
    }

    /** The lease of the action running now, if it holds one. */
    public function current(): ?Lease
    {
        return $this->byAction === [] ? null : $this->byAction[array_key_last($this->byAction)];
    }

    /** Gives the action's lease back; false when it held none (or already gave it back). */
    public function release(int $actionId): bool
    {
        $lease = $this->byAction[$actionId] ?? null;
        if ($lease === null) {
            return false;
        }
        unset($this->byAction[$actionId]);
        $this->backend->release($lease);
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
            if ($this->release($actionId)) {
                $released[] = $actionId;
            }
        }
        return $released;
    }
}
