<?php
/**
 * Where the rest of an AI step's story is written, beside its deferrals and
 * strandings (ThrottleLog): its admission, the wake that pulled its copy
 * forward, the end of its hold, a lease taken back from it, a slot or a
 * stranded entry given back, and the copy that runs a stranded action again.
 * Each is one row of the event log (Log\EventLog), written with the
 * request's other rows, not one query each.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\Lease;
use SluiceWP\Backend\StrandedLease;

defined('ABSPATH') || exit;

interface StepLog
{
    /** The step took its slots ($lease: its keys and limits) after waiting $waitedMs in the line (0: it did not wait there). */
    public function admitted(AiWork $work, Lease $lease, int $waitedMs): void;

    /** A release handed slots to this ticket and pulled its copy ($copyId) forward. */
    public function woken(int $copyId, int $reservedLeftMs): void;

    /** The step's slots went back after $heldMs (its end, or request end: $atRequestEnd). */
    public function finished(AiWork $work, int $heldMs, bool $atRequestEnd): void;

    /** The step's lease was gone when it gave it back: the TTL or a sweep took it back while it ran. */
    public function reclaimed(AiWork $work, int $heldMs): void;

    /** A dead holder's lease was taken back and its action found stranded (written with the stranded row, in its INSERT). */
    public function reclaimedFromDeadHolder(StrandedLease $lease, ?ScheduledAction $action): void;

    /** A stranded entry the sweep could not deal with now went back to the store for the next sweep. */
    public function drained(StrandedLease $lease, string $why): void;

    /** $copyId runs the stranded action $originalId again. */
    public function requeued(int $originalId, int $copyId, ?ScheduledAction $action, StrandedLease $lease): void;
}
