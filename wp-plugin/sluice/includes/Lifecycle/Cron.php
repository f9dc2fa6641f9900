<?php
/**
 * Sluice's WP-Cron: one schedule, every minute (`sluice_minute`), registered
 * here once, for the sweep (Gate\GateHooks) and the chart's minute sample
 * (Status\MinuteSampler).
 */

declare(strict_types=1);

namespace SluiceWP\Lifecycle;

defined('ABSPATH') || exit;

final class Cron
{
    public const SCHEDULE = 'sluice_minute';

    /**
     * The filter cron_schedules.
     *
     * @param mixed $schedules
     * @return array<string, mixed>
     */
    public static function addSchedule(mixed $schedules): array
    {
        $schedules = is_array($schedules) ? $schedules : [];
        $schedules[self::SCHEDULE] ??= ['interval' => 60, 'display' => __('Every minute (Sluice)', 'sluice')];
        return $schedules;
    }

    /** Schedules $hook every minute from the next request on, once (reads WordPress's autoloaded cron array only). */
    public static function everyMinute(string $hook, int $firstIn = 0): void
    {
        add_action('init', static function () use ($hook, $firstIn): void {
            if (wp_next_scheduled($hook) === false) {
                wp_schedule_event(time() + $firstIn, self::SCHEDULE, $hook);
            }
        });
    }
}
