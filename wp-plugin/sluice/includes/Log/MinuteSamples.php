<?php
/**
 * The status chart's data, per minute of the last hour: the site limit,
 * the slots in use at most, deferrals, AI steps finished and the lowest
 * provider limit in force (the adaptive limit).
 *
 * Nothing is written per AI step. WP-Cron's minute event (sample()) writes
 * one row into {prefix}sluice_samples with the limit, the slots in use now
 * and the site key's release counter as the lease store keeps it; the
 * finished steps of a minute are the counter's growth since the sample
 * before (the first sample counts from the store's start; a counter that
 * went back, as after a host restart, counts from 0 again). Deferrals and
 * the slots in use at each deferral come from the event log, which writes
 * a row per deferral anyway. The newest KEEP_MINUTES rows are kept.
 */

declare(strict_types=1);

namespace SluiceWP\Log;

defined('ABSPATH') || exit;

final class MinuteSamples
{
    public const CRON_HOOK = 'sluice_sample_minute';
    public const KEEP_MINUTES = 120;

    /**
     * WP-Cron's minute: the limit, the slots in use now, the release counter and
     * the lowest provider limit in force (-1: no protected provider; 0: a
     * circuit is open); drops rows past KEEP_MINUTES.
     */
    public function sample(int $slotsInUse, int $limit, int $releasedTotal, int $providerLimit = -1): void
    {
        global $wpdb;
        $table = MinuteSamplesSchema::table();
        $wpdb->query($wpdb->prepare(
            "INSERT INTO {$table} (minute_at, slot_limit, slots_in_use, released_total, provider_limit) VALUES (%s, %d, %d, %d, %d)
             ON DUPLICATE KEY UPDATE slot_limit = GREATEST(slot_limit, VALUES(slot_limit)),
               slots_in_use = GREATEST(slots_in_use, VALUES(slots_in_use)), released_total = VALUES(released_total),
               provider_limit = LEAST(provider_limit, VALUES(provider_limit))",
            gmdate('Y-m-d H:i:00'),
            $limit,
            $slotsInUse,
            $releasedTotal,
            $providerLimit,
        ));
        $wpdb->query($wpdb->prepare("DELETE FROM {$table} WHERE minute_at < %s", gmdate('Y-m-d H:i:00', time() - self::KEEP_MINUTES * 60)));
    }

    /**
     * The last $minutes minutes, oldest first, a zero where nothing was
     * recorded; the limit of a minute without a sample is $currentLimit.
     *
     * `provider`: the lowest provider limit in force at each sample (the adaptive limit; 0 while a circuit was
     * open; null where no protected provider was sampled).
     *
     * @return array{minutes: list<string>, slots: list<int>, limit: list<int>, deferred: list<int>, completed: list<int>, provider: list<int|null>}
     */
    public function series(int $minutes = 60, int $currentLimit = 0): array
    {
        global $wpdb;
        $minutes = max(1, min(self::KEEP_MINUTES, $minutes));
        $now = intdiv(time(), 60) * 60;
        $from = $now - ($minutes - 1) * 60;
        $table = MinuteSamplesSchema::table();
        // Every row kept: the sample before the window is the first minute's baseline.
        $rows = $wpdb->get_results("SELECT minute_at, slots_in_use, slot_limit, released_total, provider_limit FROM {$table} ORDER BY minute_at", ARRAY_A);
        $samples = [];
        $previous = null;
        foreach (is_array($rows) ? $rows : [] as $row) {
            $total = (int) $row['released_total'];
            $row['completed'] = $previous === null || $total < $previous ? $total : $total - $previous;
            $previous = $total;
            $samples[(string) $row['minute_at']] = $row;
        }
        $events = $wpdb->get_results($wpdb->prepare(
            "SELECT DATE_FORMAT(created_at, '%%Y-%%m-%%d %%H:%%i:00') AS minute_at, COUNT(*) AS deferred, MAX(active_n) AS active
             FROM " . EventLogSchema::table() . " WHERE event = 'deferred' AND created_at >= %s GROUP BY minute_at",
            gmdate('Y-m-d H:i:00', $from),
        ), ARRAY_A);
        $deferrals = [];
        foreach (is_array($events) ? $events : [] as $row) {
            $deferrals[(string) $row['minute_at']] = $row;
        }
        $out = ['minutes' => [], 'slots' => [], 'limit' => [], 'deferred' => [], 'completed' => [], 'provider' => []];
        for ($t = $from; $t <= $now; $t += 60) {
            $minute = gmdate('Y-m-d H:i:00', $t);
            $sample = $samples[$minute] ?? null;
            $deferred = $deferrals[$minute] ?? null;
            $out['minutes'][] = gmdate('H:i', $t);
            $out['slots'][] = max($sample !== null ? (int) $sample['slots_in_use'] : 0, $deferred !== null ? (int) $deferred['active'] : 0);
            $out['limit'][] = $sample !== null && (int) $sample['slot_limit'] > 0 ? (int) $sample['slot_limit'] : $currentLimit;
            $out['deferred'][] = $deferred !== null ? (int) $deferred['deferred'] : 0;
            $out['completed'][] = $sample !== null ? (int) $sample['completed'] : 0;
            $out['provider'][] = $sample !== null && (int) $sample['provider_limit'] >= 0 ? (int) $sample['provider_limit'] : null;
        }
        return $out;
    }
}
