<?php
/**
 * What the admin pages read besides the lease store: the event log's
 * deferrals and throttle events, and the per-minute samples of the chart.
 * What the store holds for this blog (backend, keys, holders, waiting line)
 * and the two repairs come from Status\SiteStatus, the one builder behind
 * `wp sluice status`, the REST routes and these pages; which keys are this
 * blog's is Status\SiteKeys' to say.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Log\EventLog;
use SluiceWP\Log\Schema;
use SluiceWP\Settings\Config;
use SluiceWP\Status\SiteKeys;
use SluiceWP\Status\SiteStatus;

final class StatusSource
{
    public function __construct(
        private readonly SiteStatus $status,
        private readonly Config $config,
        private readonly EventLog $eventLog,
    ) {
    }

    /** This request's services (sluice.php), scoped to the current blog. */
    public static function fromServices(): self
    {
        $services = sluice_services();
        return new self(SiteStatus::fromServices(), $services->config, $services->eventLog);
    }

    /** The blog's report, its release and reset (blog-scoped). */
    public function status(): SiteStatus
    {
        return $this->status;
    }

    /** @return array{total: int, last_hour: int} deferrals in the event log */
    public function deferrals(): array
    {
        global $wpdb;
        $table = Schema::eventsTable();
        $row = $wpdb->get_row($wpdb->prepare(
            "SELECT COUNT(*) AS total, COALESCE(SUM(created_at >= %s), 0) AS last_hour FROM {$table} WHERE event = %s",
            gmdate('Y-m-d H:i:s', time() - 3600),
            'deferred',
        ), ARRAY_A);
        return ['total' => (int) ($row['total'] ?? 0), 'last_hour' => (int) ($row['last_hour'] ?? 0)];
    }

    /** @return list<string> providers the event log has seen (for their default limits on the settings page) */
    public function providersSeen(): array
    {
        global $wpdb;
        $table = Schema::eventsTable();
        $providers = $wpdb->get_col($wpdb->prepare("SELECT DISTINCT provider FROM {$table} WHERE provider <> %s LIMIT 20", ''));
        return array_values(array_map('strval', is_array($providers) ? $providers : []));
    }

    /** @return list<array<string, mixed>> newest first */
    public function latestEvents(int $limit = 20): array
    {
        return $this->eventLog->latest($limit);
    }

    /** @return array{minutes: list<string>, slots: list<int>, limit: list<int>, deferred: list<int>, completed: list<int>} */
    public function chart(): array
    {
        return (new MinuteSamples())->series(60, $this->config->siteLimit());
    }

    /** WP-Cron's minute sample: the site key's slots in use now. */
    public function sampleMinute(): void
    {
        $active = 0;
        try {
            $siteKey = SiteKeys::names()->site();
            foreach ($this->status->report()['keys'] ?? [] as $row) {
                if (is_array($row) && ($row['key'] ?? null) === $siteKey) {
                    $active = (int) ($row['active'] ?? 0);
                }
            }
        } catch (\Throwable $e) {
            error_log('Sluice: could not read the slots in use for the status chart: ' . $e->getMessage());
        }
        (new MinuteSamples())->sample($active, $this->config->siteLimit());
    }
}
