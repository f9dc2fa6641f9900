<?php
/**
 * What the status page reads, scoped to this site: the backend in use and
 * its health, this site's keys (and host-wide provider keys) with their
 * holders, the waiting line where the backend has one, the event log's
 * deferrals and the per-minute samples. Also the scope check for the two
 * repairs: a token or key of another site on the host is never touched.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Backend\BackendChoice;
use SluiceWP\Backend\KeyStatus;
use SluiceWP\Backend\OperatorView;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Log\EventLog;
use SluiceWP\Log\Schema;
use SluiceWP\Settings\Config;
use SluiceWP\Status\SiteKeys;

final class StatusSource
{
    public function __construct(
        private readonly BackendChoice $backends,
        private readonly Config $config,
        private readonly EventLog $eventLog,
        private readonly KeyNames $keyNames,
    ) {
    }

    /** This request's services (sluice.php), scoped to the current blog. */
    public static function fromServices(): self
    {
        $services = sluice_services();
        return new self($services->backends, $services->config, $services->eventLog, SiteKeys::names());
    }

    public function backendName(): ?string
    {
        return $this->backends->backend()?->name();
    }

    public function unavailableReason(): ?string
    {
        return $this->backends->unavailableReason();
    }

    public function gatingEnabled(): bool
    {
        return $this->config->enabled();
    }

    public function siteLimit(): int
    {
        return $this->config->siteLimit();
    }

    public function siteKey(): string
    {
        return $this->keyNames->site();
    }

    public function view(): ?OperatorView
    {
        return $this->backends->backend()?->operatorView();
    }

    /**
     * This site's keys and the host-wide provider keys, site key first.
     *
     * @return array<string, KeyStatus>
     */
    public function keys(): array
    {
        $view = $this->view();
        if ($view === null) {
            return [];
        }
        $ours = array_filter($view->keys(), fn (KeyStatus $status): bool => $this->isOurs($status->key));
        uksort($ours, fn (string $a, string $b): int => [$a !== $this->siteKey(), $a] <=> [$b !== $this->siteKey(), $b]);
        return $ours;
    }

    public function isOurs(string $key): bool
    {
        return SiteKeys::scope($key) !== null;
    }

    /** The key holding $token among this site's keys, or null. */
    public function keyOfToken(string $token): ?string
    {
        foreach ($this->keys() as $key => $status) {
            foreach ($status->holders as $holder) {
                if (hash_equals($holder->token, $token)) {
                    return $key;
                }
            }
        }
        return null;
    }

    /**
     * The waiting line, one row per ticket of this site's keys, when the
     * store keeps one (feature-detected: a `line()` method on the backend or
     * its operator view); null when it does not.
     *
     * @return list<array<string, scalar|null>>|null
     */
    public function line(): ?array
    {
        $backend = $this->backends->backend();
        $holder = $backend !== null && method_exists($backend, 'line') ? $backend : $this->view();
        if ($holder === null || !method_exists($holder, 'line')) {
            return null;
        }
        if (method_exists($holder, 'lineAvailable') && !$holder->lineAvailable()) {
            return null;
        }
        $rows = [];
        $line = $holder->line();
        foreach (is_iterable($line) ? $line : [] as $queue) {
            $fields = is_object($queue) ? get_object_vars($queue) : (is_array($queue) ? $queue : ['entry' => $queue]);
            $keys = isset($fields['keys']) && is_array($fields['keys']) ? array_map('strval', array_is_list($fields['keys']) ? $fields['keys'] : array_keys($fields['keys'])) : [];
            if ($keys !== [] && array_filter($keys, fn (string $key): bool => $this->isOurs($key)) === []) {
                continue; // another site's line
            }
            $tickets = isset($fields['tickets']) && is_array($fields['tickets']) ? $fields['tickets'] : [null];
            unset($fields['tickets']);
            $fields['keys'] = implode(', ', $keys);
            foreach ($tickets as $ticket) {
                $row = $fields + (is_object($ticket) ? get_object_vars($ticket) : (is_array($ticket) ? $ticket : []));
                $rows[] = array_map(static fn ($v) => is_scalar($v) || $v === null ? $v : (string) wp_json_encode($v), $row);
            }
        }
        return $rows;
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
            $active = $this->view()?->keys()[$this->siteKey()]->active ?? 0;
        } catch (\Throwable $e) {
            error_log('Sluice: could not read the slots in use for the status chart: ' . $e->getMessage());
        }
        (new MinuteSamples())->sample($active, $this->config->siteLimit());
    }
}
