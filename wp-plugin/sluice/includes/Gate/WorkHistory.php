<?php
/**
 * What the event log knows of one piece of work (ScheduledAction::workKey(),
 * the same across its copies) before a new deferral: how often it was
 * deferred, the delay it was last given, when it was first deferred, and,
 * for work whose runner died while it ran, the place in line it keeps when it
 * runs again (its first deferral, or when it was due if it never waited).
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

final class WorkHistory
{
    public function __construct(
        public readonly int $deferrals = 0,
        /** Seconds of the previous deferral's delay (0: none). */
        public readonly int $lastDelaySeconds = 0,
        /** Unix seconds since when the work holds its place in line after its runner died (null: no such place). */
        public readonly ?int $placedSince = null,
        /** Unix seconds of its first deferral (null: never deferred). */
        public readonly ?int $firstDeferredAt = null,
    ) {
    }
}
