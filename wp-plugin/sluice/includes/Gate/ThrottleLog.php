<?php
/**
 * Where deferrals are written: Sluice's own event log, and Data Machine's log
 * when it is active.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

interface ThrottleLog
{
    public function deferred(ThrottleEvent $event): void;

    /** How often this work (QueuedAction::workKey()) was deferred before. */
    public function deferralsOf(string $workKey): int;
}
