<?php
/**
 * `wp sluice health`: Sluice's health on this site (Status\Health, as the
 * status page, the admin notice and REST show it): one row per problem with
 * its fix, through WP-CLI's Formatter. Exits 1 when the health is degraded
 * or ungated, so a monitoring cron job can alert on it.
 */

declare(strict_types=1);

namespace SluiceWP\Cli;

use SluiceWP\Status\Health;
use SluiceWP\Status\Plain;
use SluiceWP\Status\SiteStatus;
use WP_CLI;
use WP_CLI\Formatter;

defined('ABSPATH') || exit;

final class HealthCommand
{
    public function __construct(private readonly SiteStatus $status)
    {
    }

    /**
     * Lists what is wrong with Sluice on this site, each with its fix; exits 1 unless healthy.
     *
     * ## OPTIONS
     *
     * [--fields=<fields>]
     * : Limit the output to these fields (default: code, severity, message, fix).
     *
     * [--format=<format>]
     * : Render output in a particular format.
     * ---
     * default: table
     * options:
     *   - table
     *   - csv
     *   - json
     *   - yaml
     *   - count
     * ---
     *
     * ## EXAMPLES
     *
     *     wp sluice health
     *     wp sluice health --format=json
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function __invoke(array $args, array $assoc): void
    {
        $health = $this->status->report()->health;
        if (($assoc['format'] ?? 'table') === 'table') {
            /* translators: %s: healthy, degraded or ungated */
            WP_CLI::line(sprintf(__('Sluice health: %s', 'sluice'), $health->state));
        }
        (new Formatter($assoc, ['code', 'severity', 'message', 'fix']))->display_items(array_map([Plain::class, 'of'], $health->problems));
        if ($health->state !== Health::HEALTHY) {
            WP_CLI::halt(1);
        }
    }
}
