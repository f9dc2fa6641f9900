<?php
/**
 * Fills the capacity view (CapacityReport) of the current blog: the store's
 * per-minute counters (Backend\CapacityCounters) of the blog's keys and the
 * host-wide ones, their limit in force (a protected provider's adaptive
 * limit where it has one) and the steps waiting for each now, through
 * CapacityModel and CapacityAlerts. Budget buckets (rpm:, tpm:, qps) are
 * budgets, not keys of slots: left out.
 *
 * The line's length is the waiting line's tickets for the key; where the
 * store keeps no line (or the line is off) deferred copies wait on their
 * timers, and the length is what the kept minutes say: arrivals less
 * admissions over them, at least 0.
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

use SluiceWP\Backend\BackendChoice;
use SluiceWP\Backend\CapacityCounters;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Status\SiteStatus;

defined('ABSPATH') || exit;

final class CapacityCollector
{
    public function __construct(
        private readonly BackendChoice $backends,
        private readonly SiteStatus $status,
        private readonly CapacityModel $model = new CapacityModel(),
        private readonly CapacityAlerts $alerts = new CapacityAlerts(),
    ) {
    }

    /**
     * @param int|null  $whatIfLimit every key's numbers at this limit instead of its own (null: as they are)
     * @param list<int> $windows     minutes
     * @param float|null $now        unix seconds (null: now)
     */
    public function collect(?int $whatIfLimit = null, array $windows = CapacityModel::WINDOWS, ?float $now = null): CapacityReport
    {
        $now ??= microtime(true);
        $backend = $this->backends->backend();
        if ($backend === null) {
            return new CapacityReport([], [], [], $whatIfLimit, sprintf(
                /* translators: %s: why no lease store can be used */
                __('No lease store is usable: %s', 'sluice'),
                (string) $this->backends->unavailableReason(),
            ));
        }
        if (!$backend instanceof CapacityCounters) {
            return new CapacityReport([], [], [], $whatIfLimit, sprintf(
                /* translators: %s: a backend's name */
                __('The %s backend keeps no capacity counters.', 'sluice'),
                $backend->name(),
            ));
        }
        try {
            $counts = $backend->minuteCounts();
        } catch (\Throwable $e) {
            return new CapacityReport([], [], [], $whatIfLimit, sprintf(
                /* translators: %s: the store's error */
                __('The store failed while its capacity counters were read: %s', 'sluice'),
                $e->getMessage(),
            ));
        }
        $report = $this->status->report();
        $names = KeyNames::forBlog();
        $limits = [];
        $waiting = [];
        foreach ($report->keys as $key) {
            $name = $key->status->key;
            $provider = $key->provider;
            $limits[$name] = $provider !== null && $provider->error === null && $provider->effectiveLimit > 0 ? $provider->effectiveLimit : $key->status->limit;
            $waiting[$name] = $key->status->queued;
        }
        $lineKept = $report->line !== null;
        $keys = array_unique([...array_keys($limits), ...array_map('strval', array_keys($counts))]);
        $keys = array_values(array_filter($keys, static fn (string $k): bool => !KeyNames::isBudget($k) && $names->scope($k) !== null));
        $site = $report->siteKey();
        usort($keys, static fn (string $a, string $b): int => [$a !== $site, $a] <=> [$b !== $site, $b]);
        $rows = [];
        $alerts = [];
        $inForce = [];
        $scopes = [];
        foreach ($keys as $key) {
            $minutes = $counts[$key] ?? [];
            $limit = $limits[$key] ?? 0;
            $line = $lineKept ? ($waiting[$key] ?? 0) : self::countedBacklog($minutes);
            $inForce[$key] = $limit;
            $scopes[$key] = (string) $names->scope($key);
            foreach ($windows as $window) {
                $row = $this->model->keyCapacity($key, $minutes, $window, $limit, $line, $now);
                $rows[] = $whatIfLimit !== null ? $this->model->atLimit($row, $whatIfLimit) : $row;
            }
            array_push($alerts, ...$this->alerts->of($key, $minutes, $limit, $line, $now));
        }
        return new CapacityReport($rows, $alerts, $inForce, $whatIfLimit, null, $scopes);
    }

    /** The same view at another limit for every key (the status page's what-if: no second read of the store). */
    public function atLimit(CapacityReport $report, int $limit): CapacityReport
    {
        return new CapacityReport(
            array_map(fn (KeyCapacity $row): KeyCapacity => $this->model->atLimit($row, $limit), $report->rows),
            $report->alerts,
            $report->limitsInForce,
            $limit,
            $report->unavailable,
            $report->scopes,
        );
    }

    /** The report of one of its keys only (null: the key is not in it). */
    public function only(CapacityReport $report, string $key): ?CapacityReport
    {
        if (!array_key_exists($key, $report->limitsInForce)) {
            return null;
        }
        return new CapacityReport(
            array_values(array_filter($report->rows, static fn (KeyCapacity $row): bool => $row->key === $key)),
            array_values(array_filter($report->alerts, static fn (CapacityAlert $alert): bool => $alert->key === $key)),
            [$key => $report->limitsInForce[$key]],
            $report->whatIfLimit,
            null,
            array_intersect_key($report->scopes, [$key => true]),
        );
    }

    /** @param list<MinuteCounts> $minutes */
    private static function countedBacklog(array $minutes): int
    {
        $backlog = 0;
        foreach ($minutes as $m) {
            $backlog += $m->arrivals - $m->admissions;
        }
        return max(0, $backlog);
    }
}
