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

    /**
     * A lease was reclaimed because its holder died; $copyId > 0 when its
     * action runs again, $placedSince the place in line (unix seconds) its
     * work keeps if it has to wait again (null: none).
     */
    public function stranded(StrandedLease $lease, ?ScheduledAction $action, int $copyId, ?int $placedSince = null): void;

    /** What happened to this work (ScheduledAction::workKey()) before: its deferrals, last delay and place in line. */
    public function historyOf(string $workKey): WorkHistory;
}
