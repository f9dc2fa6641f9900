<?php
/**
 * What the admin pages read besides the lease store, from the stores that
 * keep it: the event log's deferrals and latest events, and the chart's
 * per-minute samples, the capacity view. What the store holds for this blog (backend, keys,
 * holders, waiting line) and the two repairs come from Status\SiteStatus,
 * the one builder behind `wp sluice status`, the REST routes and these pages.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Capacity\CapacityCollector;
use SluiceWP\Capacity\CapacityReport;
use SluiceWP\Log\EventLog;
use SluiceWP\Log\MinuteSamples;
use SluiceWP\Settings\Config;
use SluiceWP\Status\SiteStatus;

defined('ABSPATH') || exit;

final class StatusSource
{
    private ?CapacityReport $capacityReport = null;

    public function __construct(
        private readonly SiteStatus $status,
        private readonly Config $config,
        private readonly EventLog $eventLog,
        private readonly MinuteSamples $samples,
        private readonly ?CapacityCollector $capacity = null,
    ) {
    }

    /** The capacity view (null where the page has none to show); read once per request. */
    public function capacity(): ?CapacityReport
    {
        return $this->capacityReport ??= $this->capacity?->collect();
    }

    /** The capacity view at the what-if limit the page was asked for (its GET parameter), or null. */
    public function capacityWhatIf(): ?CapacityReport
    {
        $raw = $_GET[CapacitySection::WHAT_IF_PARAM] ?? '';
        $given = is_string($raw) && preg_match('/^\d{1,6}$/', $raw) === 1 ? (int) $raw : 0; // anything but a whole number: no what-if
        $report = $this->capacity();
        if ($report === null || $this->capacity === null || $given < 1 || $given > 999999 || $report->unavailable !== null) {
            return null;
        }
        return $this->capacity->atLimit($report, $given);
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
