<?php
/**
 * The capacity alerts over time, from WP-Cron's minute event (the one the
 * status chart's sample runs on, Lifecycle\Cron): each minute it asks
 * CapacityCollector which alerts are active, fires the action
 * `sluice_capacity_alert` once for each that started since the last check
 * (not again while it lasts; again if it ends and starts anew), and keeps
 * the active ones for the admin notice (CapacityNotice). A blog's own keys'
 * alerts are kept in its options; a host-wide key's in the network's, so
 * the blogs that share it fire it once, and Network Admin shows it.
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

use SluiceWP\Log\MinuteSamples;

defined('ABSPATH') || exit;

final class CapacityWatch
{
    public const ACTION = 'sluice_capacity_alert';
    /** The blog's option (its own keys' alerts) and the network's (host-wide keys'; on a single site an option too). */
    public const OPTION = 'sluice_capacity_alerts';
    public const HOST_OPTION = 'sluice_capacity_alerts_host';
    /** Alerts kept longer ago than this are not shown (WP-Cron stopped checking). */
    public const STALE_AFTER_S = 300;

    public function __construct(private readonly CapacityCollector $collector)
    {
    }

    public function init(): void
    {
        add_action(MinuteSamples::CRON_HOOK, [$this, 'check']);
    }

    /** WP-Cron, every minute (and tests). Never throws: a failure is logged, the next minute checks again. */
    public function check(): void
    {
        try {
            $report = $this->collector->collect(null, [1]);
        } catch (\Throwable $e) {
            error_log('Sluice: could not check the capacity alerts: ' . $e->getMessage());
            return;
        }
        if ($report->unavailable !== null) {
            return;
        }
        $now = time();
        foreach ([false, true] as $hostWide) {
            $active = [];
            foreach ($report->alerts as $alert) {
                if ((($report->scopes[$alert->key] ?? 'site') === 'host') === $hostWide) {
                    $active[$alert->id()] = $alert;
                }
            }
            $before = self::stored($hostWide, false);
            foreach ($active as $id => $alert) {
                if (!isset($before[$id])) {
                    /**
                     * A capacity alert started: a key's utilisation stayed above 0.8 for 3 minutes, or its line grew
                     * for 10. Fired once per start, from WP-Cron's minute event.
                     *
                     * @param CapacityAlert $alert the key, the kind (utilisation or backlog), the value, the line
                     * @param string        $text  the alert in words
                     */
                    do_action(self::ACTION, $alert, AlertText::of($alert));
                }
            }
            $stored = ['checked_at' => $now, 'alerts' => array_map(static fn (CapacityAlert $a): array => $a->toArray(), $active)];
            $hostWide ? update_site_option(self::HOST_OPTION, $stored) : update_option(self::OPTION, $stored, false);
        }
    }

    /**
     * The alerts the last check found active: the blog's (false) or the host-wide keys' (true).
     *
     * @return array<string, CapacityAlert> by id
     */
    public static function stored(bool $hostWide, bool $freshOnly = true): array
    {
        $stored = $hostWide ? get_site_option(self::HOST_OPTION) : get_option(self::OPTION);
        if (!is_array($stored) || !is_array($stored['alerts'] ?? null)) {
            return [];
        }
        if ($freshOnly && (int) ($stored['checked_at'] ?? 0) < time() - self::STALE_AFTER_S) {
            return [];
        }
        $alerts = [];
        foreach ($stored['alerts'] as $id => $a) {
            if (is_array($a) && isset($a['key'], $a['kind'])) {
                $alerts[(string) $id] = new CapacityAlert((string) $a['key'], (string) $a['kind'], (float) ($a['value'] ?? 0), (int) ($a['line_length'] ?? 0));
            }
        }
        return $alerts;
    }
}
