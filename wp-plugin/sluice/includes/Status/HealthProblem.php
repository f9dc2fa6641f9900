<?php
/**
 * One thing an operator must know about Sluice on this site, with what fixes
 * it (Health collects them; every surface shows the same ones).
 */

declare(strict_types=1);

namespace SluiceWP\Status;

defined('ABSPATH') || exit;

final class HealthProblem
{
    /** AI work runs without Sluice's limit, or two stores each grant it, or a process cannot use the store: act now (health degraded). */
    public const CRITICAL = 'critical';
    /** Sluice limits AI work through a fallback it was told to use (health degraded). */
    public const WARNING = 'warning';
    /** Sluice limits AI work, but could do it better (health stays healthy). */
    public const RECOMMENDED = 'recommended';

    public function __construct(
        /** store_unusable, process_refused, stores_differ, extension_partial, limit_clamped, ungated_runs, redis_unreachable, store_error, budgets_not_kept. */
        public readonly string $code,
        public readonly string $severity,
        public readonly string $message,
        /** What to do, e.g. the php.ini lines; '' when the message says it. */
        public readonly string $fix = '',
    ) {
    }
}
