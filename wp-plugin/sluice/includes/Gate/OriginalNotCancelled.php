<?php
/**
 * A deferred action whose cancel failed after its copy was stored, and whose
 * copy could not be called off either: the copy carries the work, so the
 * original must not run. The gate lets this one exception reach Action
 * Scheduler (every other error lets the action run ungated): Action Scheduler
 * marks an action whose before_execute throws failed and does not run it.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

final class OriginalNotCancelled extends \RuntimeException
{
}
