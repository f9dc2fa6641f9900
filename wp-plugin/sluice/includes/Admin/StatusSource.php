<?php
/**
 * What the admin pages read besides the lease store, from the stores that
 * keep it: the event log's deferrals and latest events, and the chart's
 * per-minute samples. What the store holds for this blog (backend, keys,
 * holders, waiting line) and the two repairs come from Status\SiteStatus,
 * the one builder behind `wp sluice status`, the REST routes and these pages.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Log\EventLog;
use SluiceWP\Log\MinuteSamples;
use SluiceWP\Settings\Config;
use SluiceWP\Status\SiteStatus;

defined('ABSPATH') || exit;

final class StatusSource
{
    public function __construct(
        private readonly SiteStatus $status,
        private readonly Config $config,
        private readonly EventLog $eventLog,
        private readonly MinuteSamples $samples,
    ) {
    }

    /** The blog's report, its release and reset (blog-scoped). */
    public function status(): SiteStatus
    {
        return $this->status;
    }

    /** @return array{total: int, last_hour: int} deferrals in the event log */
    public function deferrals(): array
    {
        return $this->eventLog->deferrals();
    }

    /** @return list<array<string, mixed>> newest first */
    public function latestEvents(int $limit = 20): array
    {
        return $this->eventLog->latest($limit);
    }

    /** @return array{minutes: list<string>, slots: list<int>, limit: list<int>, deferred: list<int>, completed: list<int>, provider: list<int|null>} */
    public function chart(): array
    {
        return $this->samples->series(60, $this->config->siteLimit());
    }
}
