<?php
/**
 * The status chart's data: one row per minute in {prefix}sluice_samples
 * (slots in use at most, the site limit, deferrals, AI steps finished), the
 * newest KEEP_MINUTES rows kept. Written cheaply: one upsert per deferral and
 * one per released lease (the gate's admit path writes nothing), plus a
 * WP-Cron event every minute that records the slots in use and prunes.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Log\Schema;

final class MinuteSamples
{
    public const CRON_HOOK = 'sluice_sample_minute';
    /** The same one-minute schedule the sweep uses (whichever registers it first). */
    public const SCHEDULE = 'sluice_minute';
    public const KEEP_MINUTES = 120;

    /**
     * The one-minute WP-Cron schedule (filter cron_schedules).
     *
     * @param array<string, array{interval: int, display: string}> $schedules
     * @return array<string, array{interval: int, display: string}>
     */
    public static function addSchedule(mixed $schedules): array
    {
        $schedules = is_array($schedules) ? $schedules : [];
        $schedules[self::SCHEDULE] ??= ['interval' => 60, 'display' => __('Every minute (Sluice)', 'sluice')];
        return $schedules;
    }

    /** Schedules the minute sample once (reads WordPress's autoloaded cron array only). */
    public static function ensureScheduled(): void
    {
        if (wp_next_scheduled(self::CRON_HOOK) === false) {
            wp_schedule_event(time(), self::SCHEDULE, self::CRON_HOOK);
        }
    }

    /**
     * A deferral (action sluice_action_deferred): counts it, and the full key's active count as slots in use.
     *
     * @param mixed $context ThrottleEvent::context()
     */
    public static function onDeferred(mixed $context): void
    {
        $active = is_array($context) && isset($context['active']) ? (int) $context['active'] : 0;
        (new self())->add(0, $active, 1, 0);
    }

    /** A released lease (action sluice_lease_released): an AI step finished. */
    public static function onReleased(): void
    {
        (new self())->add(0, 0, 0, 1);
    }

    /** WP-Cron's minute: the slots in use now and the limit; drops rows past KEEP_MINUTES. */
    public function sample(int $slotsInUse, int $limit): void
    {
        global $wpdb;
        $this->add($limit, $slotsInUse, 0, 0);
        $table = Schema::samplesTable();
        $wpdb->query($wpdb->prepare(
            "DELETE FROM {$table} WHERE minute_at < %s",
            gmdate('Y-m-d H:i:00', time() - self::KEEP_MINUTES * 60),
        ));
    }

    /**
     * The last $minutes minutes, oldest first, a zero where nothing was
     * recorded; the limit of a minute without a sample is $currentLimit.
     *
     * @return array{minutes: list<string>, slots: list<int>, limit: list<int>, deferred: list<int>, completed: list<int>}
     */
    public function series(int $minutes = 60, int $currentLimit = 0): array
    {
        global $wpdb;
        $minutes = max(1, min(self::KEEP_MINUTES, $minutes));
        $now = intdiv(time(), 60) * 60;
        $from = $now - ($minutes - 1) * 60;
        $table = Schema::samplesTable();
        $rows = $wpdb->get_results($wpdb->prepare(
            "SELECT minute_at, slots_in_use, slot_limit, deferred, completed FROM {$table} WHERE minute_at >= %s ORDER BY minute_at",
            gmdate('Y-m-d H:i:00', $from),
        ), ARRAY_A);
        $byMinute = [];
        foreach (is_array($rows) ? $rows : [] as $row) {
            $byMinute[(string) $row['minute_at']] = $row;
        }
        $out = ['minutes' => [], 'slots' => [], 'limit' => [], 'deferred' => [], 'completed' => []];
        for ($t = $from; $t <= $now; $t += 60) {
            $minute = gmdate('Y-m-d H:i:00', $t);
            $row = $byMinute[$minute] ?? null;
            $limit = $row !== null && (int) $row['slot_limit'] > 0 ? (int) $row['slot_limit'] : $currentLimit;
            $out['minutes'][] = gmdate('H:i', $t);
            $out['slots'][] = $row !== null ? (int) $row['slots_in_use'] : 0;
            $out['limit'][] = $limit;
            $out['deferred'][] = $row !== null ? (int) $row['deferred'] : 0;
            $out['completed'][] = $row !== null ? (int) $row['completed'] : 0;
        }
        return $out;
    }

    /** One upsert into this minute's row. */
    private function add(int $limit, int $slots, int $deferred, int $completed): void
    {
        global $wpdb;
        $table = Schema::samplesTable();
        $wpdb->query($wpdb->prepare(
            "INSERT INTO {$table} (minute_at, slot_limit, slots_in_use, deferred, completed) VALUES (%s, %d, %d, %d, %d)
             ON DUPLICATE KEY UPDATE slot_limit = GREATEST(slot_limit, VALUES(slot_limit)),
               slots_in_use = GREATEST(slots_in_use, VALUES(slots_in_use)),
               deferred = deferred + VALUES(deferred), completed = completed + VALUES(completed)",
            gmdate('Y-m-d H:i:00'),
            $limit,
            $slots,
            $deferred,
            $completed,
        ));
    }
}
