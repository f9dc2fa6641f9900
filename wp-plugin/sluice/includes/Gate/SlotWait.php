<?php
/**
 * The wait estimate from the store's operator view: on each key, when will
 * the slot this waiter gets free up? A live holder is expected to finish
 * after the key's mean hold time (less what it has held already), a dead
 * holder's slot frees when its open provider request could have ended (its
 * drain), a slot reserved for a woken ticket is held once more for the mean
 * hold; each slot that frees then serves the next waiter for a mean hold.
 * The ($ahead + 1)-th slot to free on the slowest key is the answer. Null
 * where the store keeps no mean hold time (nothing to estimate from).
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\KeyStatus;

defined('ABSPATH') || exit;

final class SlotWait implements WaitEstimate
{
    public function __construct(private readonly Backend $backend)
    {
    }

    public function seconds(array $keyLimits, int $ahead): ?float
    {
        $statuses = $this->backend->operatorView()->keys();
        $waitMs = 0.0;
        foreach ($keyLimits as $key => $limit) {
            $status = $statuses[$key] ?? null;
            if ($status === null) {
                continue; // nobody holds it yet
            }
            $keyWait = self::onKey($status, max(1, $limit), max(0, $ahead));
            if ($keyWait === null) {
                return null;
            }
            $waitMs = max($waitMs, $keyWait);
        }
        return $waitMs / 1000;
    }

    /** Milliseconds until the ($ahead + 1)-th slot of this key is free for the waiter; null without a mean hold time. */
    private static function onKey(KeyStatus $status, int $limit, int $ahead): ?float
    {
        $mean = $status->meanHoldMs;
        if ($mean <= 0) {
            return null;
        }
        $frees = [];
        foreach ($status->holders as $holder) {
            $frees[] = match (true) {
                $holder->reservation => (float) $mean,
                $holder->ownerDead => (float) $holder->drainLeftMs,
                default => (float) max(0, $mean - $holder->ageMs),
            };
        }
        sort($frees);
        $held = count($frees);
        // The slots as they become usable: free ones now; with every slot held, the limit's worth of
        // holders that finish last (the first ones to finish only bring a key above its limit back to it).
        $slots = $held < $limit ? array_merge(array_fill(0, $limit - $held, 0.0), $frees) : array_slice($frees, $held - $limit);
        $heap = new \SplMinHeap();
        foreach ($slots as $at) {
            $heap->insert($at);
        }
        $at = 0.0;
        for ($served = 0; $served <= $ahead; $served++) {
            $at = (float) $heap->extract();
            $heap->insert($at + $mean);
        }
        return $at;
    }
}
