<?php
/**
 * `wp sluice capacity`: the capacity view (Capacity\CapacityCollector) as
 * one row per key and window through WP-CLI's Formatter, or, with --limit,
 * what the wait and drain time would be at another limit. Exits 2 while a
 * capacity alert is active (each named on stderr), so monitoring can call it;
 * 1 when there is no view (no usable store, a store that keeps no counters).
 */

declare(strict_types=1);

namespace SluiceWP\Cli;

use SluiceWP\Capacity\AlertText;
use SluiceWP\Capacity\CapacityCollector;
use SluiceWP\Capacity\CapacityModel;
use SluiceWP\Capacity\KeyCapacity;
use SluiceWP\Gate\KeyNames;
use WP_CLI;
use WP_CLI\Formatter;

defined('ABSPATH') || exit;

final class CapacityCommand
{
    /** Exit status while a capacity alert is active. */
    public const EXIT_ALERT = 2;

    public function __construct(private readonly CapacityCollector $collector)
    {
    }

    /**
     * Shows how loaded each key is: arrival and completion rates, hold time, utilisation (rho), waits, headroom,
     * drain time, retries. Exits 2 while a capacity alert is active (rho above 0.8 for 3 minutes, or a line that
     * grew for 10).
     *
     * ## OPTIONS
     *
     * [--limit=<n>]
     * : What-if: every key's utilisation, M/G/c wait, headroom and drain time at this limit instead of its own.
     *
     * [--key=<key>]
     * : One key only (its full name, or its short form on this site: site, provider:<slug>); the exit status is
     * then about its alerts alone.
     *
     * [--window=<minutes>]
     * : One window only (default: all three).
     * ---
     * options:
     *   - 1
     *   - 5
     *   - 15
     * ---
     *
     * [--fields=<fields>]
     * : Limit the output to these fields (default: key, window_min, arrival_rate, completion_rate, hold_mean_s, hold_cv, limit, rho, line_length, wait_little_s, wait_mgc_s, wait_measured_s, headroom_per_s, drain_s, retry_amplification).
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
     *     wp sluice capacity
     *     wp sluice capacity --window=5 --format=json
     *     wp sluice capacity --limit=4
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function __invoke(array $args, array $assoc): void
    {
        $whatIf = null;
        if (isset($assoc['limit'])) {
            $given = (string) $assoc['limit'];
            if (preg_match('/^\d{1,6}$/', $given) !== 1 || (int) $given < 1) {
                WP_CLI::error(sprintf(
                    /* translators: %s: the value given */
                    __('--limit must be an integer from 1 to 999999; got "%s".', 'sluice'),
                    $given,
                ));
            }
            $whatIf = (int) $given;
        }
        $windows = isset($assoc['window']) ? [(int) $assoc['window']] : CapacityModel::WINDOWS;
        $report = $this->collector->collect($whatIf, $windows);
        if ($report->unavailable !== null) {
            WP_CLI::error(sprintf(
                /* translators: %s: why there is no capacity view */
                __('No capacity view: %s', 'sluice'),
                $report->unavailable,
            ));
        }
        if (isset($assoc['key'])) {
            $report = $this->collector->only($report, KeyNames::forBlog()->resolve(trim((string) $assoc['key'])))
                ?? WP_CLI::error(sprintf(
                    /* translators: 1: the key given, 2: the keys of the view */
                    __('No key "%1$s" in the capacity view. Keys: %2$s.', 'sluice'),
                    (string) $assoc['key'],
                    $report->limitsInForce === [] ? __('none yet', 'sluice') : implode(', ', array_keys($report->limitsInForce)),
                ));
        }
        $format = $assoc['format'] ?? 'table';
        if ($format === 'table' && $whatIf !== null) {
            /* translators: %d: a limit */
            WP_CLI::line(sprintf(__('What-if: each key at limit %d (rho, wait_mgc_s, headroom_per_s and drain_s predicted; the rest as measured).', 'sluice'), $whatIf));
        }
        $rows = array_map(static fn (KeyCapacity $row): array => $format === 'table' ? self::forTable($row) : $row->toArray(), $report->rows);
        (new Formatter($assoc, KeyCapacity::FIELDS))->display_items($rows);
        foreach ($report->alerts as $alert) {
            WP_CLI::warning(AlertText::of($alert));
        }
        if ($report->alerts !== []) {
            WP_CLI::halt(self::EXIT_ALERT);
        }
    }

    /** @return array<string, string|int> numbers to 3 decimals, unknown ones as a dash, a wait or drain without end as "inf" */
    private static function forTable(KeyCapacity $row): array
    {
        $cells = array_map(
            static fn (string|int|float|null $v): string|int => match (true) {
                $v === null => '-',
                is_float($v) => number_format($v, 3, '.', ''),
                default => $v,
            },
            $row->toArray(),
        );
        if ($row->rho !== null && $row->rho >= 1.0) {
            foreach (['wait_mgc_s', 'drain_s'] as $field) {
                $cells[$field] = $cells[$field] === '-' ? 'inf' : $cells[$field];
            }
        }
        return $cells;
    }
}
