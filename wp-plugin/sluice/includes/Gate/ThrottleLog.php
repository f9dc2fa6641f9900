<?php
/**
 * Where deferrals are written: Sluice's own event log, and Data Machine's log
 * when it is active.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\StrandedLease;

defined('ABSPATH') || exit;

interface ThrottleLog
{
    public function deferred(ThrottleEvent $event): void;

    /** A lease was reclaimed because its holder died; $copyId > 0 when its action runs again. */
    public function stranded(StrandedLease $lease, ?ScheduledAction $action, int $copyId): void;

    /** How often this work (ScheduledAction::workKey()) was deferred before. */
    public function deferralsOf(string $workKey): int;
}
