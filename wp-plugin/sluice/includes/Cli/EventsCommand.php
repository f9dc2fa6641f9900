<?php
/**
 * `wp sluice events`: the event log through WP-CLI's Formatter, one item's
 * whole story in order (Log\ItemStory): with --action, the action and every
 * copy before and after it in its chain; with --job, every step of the job;
 * otherwise the newest rows.
 */

declare(strict_types=1);

namespace SluiceWP\Cli;

use SluiceWP\Log\ItemStory;
use WP_CLI;
use WP_CLI\Formatter;

defined('ABSPATH') || exit;

final class EventsCommand
{
    public function __construct(private readonly ItemStory $story)
    {
    }

    /**
     * Shows the event log: one item's decisions in order (admitted, deferred, woken, finished, reclaimed, drained, stranded, requeued).
     *
     * ## OPTIONS
     *
     * [--action=<id>]
     * : An Action Scheduler action id: its story, with every copy before and after it.
     *
     * [--job=<id>]
     * : A Data Machine job id: every step of the job.
     *
     * [--since=<time>]
     * : Only rows since then: a time (2026-12-07 01:00, UTC) or a duration back from now (90s, 15m, 2h, 1d).
     *
     * [--limit=<n>]
     * : At most this many rows (the newest).
     * ---
     * default: 100
     * ---
     *
     * [--format=<format>]
     * : Render output in a particular format.
     * ---
     * default: table
     * options:
     *   - table
     *   - json
     *   - csv
     *   - yaml
     * ---
     *
     * ## EXAMPLES
     *
     *     wp sluice events --action=1234
     *     wp sluice events --job=56 --format=json
     *     wp sluice events --since=15m
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function __invoke(array $args, array $assoc): void
    {
        $action = self::id($assoc, 'action');
        $job = self::id($assoc, 'job');
        $since = isset($assoc['since']) ? self::since((string) $assoc['since']) : null;
        $limit = self::id($assoc, 'limit') ?? 100;
        if ($limit < 1) {
            WP_CLI::error(__('--limit must be at least 1.', 'sluice'));
        }
        $rows = match (true) {
            $action !== null => $this->story->ofAction($action, $since, $limit),
            $job !== null => $this->story->ofJob($job, $since, $limit),
            default => $this->story->latest($since, $limit),
        };
        (new Formatter($assoc, ItemStory::FIELDS))->display_items($rows);
    }

    /** @param array<string, string> $assoc */
    private static function id(array $assoc, string $name): ?int
    {
        if (!isset($assoc[$name])) {
            return null;
        }
        $value = trim((string) $assoc[$name]);
        if (preg_match('/^\d{1,18}$/', $value) !== 1) {
            /* translators: 1: option name, 2: the value given */
            WP_CLI::error(sprintf(__('--%1$s must be a whole number, not "%2$s".', 'sluice'), $name, $value));
        }
        return (int) $value;
    }

    /** Unix seconds of --since: a duration back from now (s, m, h, d) or a time (UTC unless it says otherwise). */
    public static function since(string $value, ?int $now = null): int
    {
        $now ??= time();
        $value = trim($value);
        if (preg_match('/^(\d+)\s*(s|m|h|d)$/i', $value, $m) === 1) {
            return $now - (int) $m[1] * ['s' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400][strtolower($m[2])];
        }
        $time = $value !== '' && !is_numeric($value) ? strtotime($value . (preg_match('/(UTC|GMT|Z|[+-]\d\d:?\d\d)$/i', $value) === 1 ? '' : ' UTC'), $now) : false;
        if ($time === false) {
            /* translators: %s: the value given */
            WP_CLI::error(sprintf(__('--since must be a time (2026-12-07 01:00) or a duration (90s, 15m, 2h, 1d), not "%s".', 'sluice'), $value));
        }
        return (int) $time;
    }
}
