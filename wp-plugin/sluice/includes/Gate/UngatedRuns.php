<?php
/**
 * Where the gate counts actions it let run ungated because the store failed
 * (an error while deciding, or a store this process cannot use): the
 * status page, `wp sluice status`, REST and the admin notice show the count
 * and the last error as degraded health.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

interface UngatedRuns
{
    public function ranUngated(int $actionId, string $error): void;
}
