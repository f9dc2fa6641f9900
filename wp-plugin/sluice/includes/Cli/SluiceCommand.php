<?php
/**
 * `wp sluice`: the operator's repairs and the pair benchmark (what Sluice
 * holds is StatusCommand's: status, holders, line, report).
 * Registered only when WP-CLI runs (Commands). On a network, --url picks
 * the blog; every command works on that blog's keys (and host-wide ones).
 */

declare(strict_types=1);

namespace SluiceWP\Cli;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\BackendChoice;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\RedisScripts;
use SluiceWP\Gate\Gate;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Settings\Config;
use SluiceWP\Status\KeyReport;
use SluiceWP\Status\NotAllowed;
use SluiceWP\Status\SiteStatus;
use WP_CLI\Formatter;
use WP_CLI;

defined('ABSPATH') || exit;

final class SluiceCommand
{
    /** @param \Closure(): ?Gate $gate the gate (null while gating is off or no store is usable) */
    public function __construct(
        private readonly SiteStatus $status,
        private readonly BackendChoice $backends,
        private readonly Config $config,
        private readonly \Closure $gate,
    ) {
    }

    /**
     * Releases a lease by its token (a holder that is stuck).
     *
     * ## OPTIONS
     *
     * <token>
     * : The lease's token, as `wp sluice status` shows it.
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function release(array $args, array $assoc): void
    {
        $token = trim($args[0] ?? '');
        if ($token === '') {
            WP_CLI::error(__('Give the token of the lease to release (wp sluice status shows them).', 'sluice'));
        }
        if (!$this->status->release($token)) {
            WP_CLI::error(sprintf(
                /* translators: %s: a lease token */
                __('No lease with token %s is held on this site (already released, reclaimed or reset, or another site\'s).', 'sluice'),
                $token,
            ));
        }
        WP_CLI::success(sprintf(__('Released lease %s.', 'sluice'), $token));
    }

    /**
     * Drops every lease of one of this site's keys.
     *
     * ## OPTIONS
     *
     * <key>
     * : The key's full name, or its short form on this site: site, provider:<slug>.
     *
     * [--yes]
     * : Do not ask for confirmation.
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function reset(array $args, array $assoc): void
    {
        $name = trim($args[0] ?? '');
        $key = KeyNames::forBlog()->resolve($name);
        $status = $this->status;
        $known = array_map(static fn (KeyReport $k): string => $k->status->key, $status->report()->keys);
        if ($name === '' || !in_array($key, $known, true)) {
            WP_CLI::error(sprintf(
                /* translators: 1: the key given, 2: the site's keys */
                __('No key "%1$s" on this site. Keys: %2$s.', 'sluice'),
                $name,
                $known === [] ? __('none yet', 'sluice') : implode(', ', $known),
            ));
        }
        $refused = $status->resetRefusal($key);
        if ($refused !== null) {
            WP_CLI::error($refused); // asked before the confirmation: the answer would not matter
        }
        WP_CLI::confirm(sprintf(__('Drop every lease of %s? The work holding them keeps running past the limit.', 'sluice'), $key), $assoc);
        try {
            $dropped = $status->reset($key) ?? WP_CLI::error(sprintf(__('No key "%s" on this site.', 'sluice'), $key));
        } catch (NotAllowed $e) {
            WP_CLI::error($e->getMessage());
        }
        WP_CLI::success(sprintf(
            /* translators: 1: key name, 2: how many leases */
            _n('Reset %1$s: %2$d lease dropped.', 'Reset %1$s: %2$d leases dropped.', $dropped, 'sluice'),
            $key,
            $dropped,
        ));
    }

    /**
     * Runs the sweep now, as every queue run and WP-Cron do: reclaims every lease whose holder died or whose
     * time ran out (their slots go to the next deferred step), pulls woken copies forward, deals with work
     * whose runner died and drops tickets of actions that are gone.
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function sweep(array $args, array $assoc): void
    {
        $this->backendOrExit();
        $gate = ($this->gate)();
        if ($gate === null) {
            WP_CLI::error($this->config->enabled()
                ? __('Action Scheduler is not loaded: there is nothing to sweep for.', 'sluice')
                : __('Gating is off (setting enabled): Sluice holds nothing to sweep.', 'sluice'));
        }
        $swept = $gate->sweep();
        WP_CLI::success(sprintf(
            /* translators: %d: how many leases */
            _n('Swept %d dead or expired lease.', 'Swept %d dead or expired leases.', $swept, 'sluice'),
            $swept,
        ));
    }

    /**
     * Measures one acquire+release pair on this host's backend (SQL queries and
     * Redis round trips counted).
     *
     * ## OPTIONS
     *
     * [--backend=<backend>]
     * : Another store than the site's (e.g. redis, to try it before switching the setting).
     * ---
     * options:
     *   - auto
     *   - native
     *   - database
     *   - redis
     * ---
     *
     * [--pairs=<n>]
     * : How many pairs to time.
     * ---
     * default: 1000
     * ---
     *
     * [--format=<format>]
     * : Render the result in a particular format (fields: backend, pairs, median_ns, p90_ns, mean_ns, queries_per_pair).
     * ---
     * default: table
     * options:
     *   - table
     *   - json
     *   - yaml
     *   - csv
     * ---
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function bench(array $args, array $assoc): void
    {
        global $wpdb;
        $pairs = (string) ($assoc['pairs'] ?? '1000');
        if (preg_match('/^\d{1,7}$/', $pairs) !== 1 || (int) $pairs < 1) {
            WP_CLI::error(sprintf(__('--pairs must be an integer from 1 to 9999999; got "%s".', 'sluice'), $pairs));
        }
        $pairs = (int) $pairs;
        $backend = $this->backendOrExit(isset($assoc['backend']) ? new BackendChoice((string) $assoc['backend'], 'ungated', $this->config->requestTimeout()) : $this->backends);
        $key = KeyNames::forBlog()->prefix() . 'bench';
        $limits = [$key => 1];
        $pair = static function () use ($backend, $limits, $key): int {
            $start = hrtime(true);
            $lease = $backend->tryAcquire($limits, 60, 'wp sluice bench');
            if (!$lease instanceof Lease) {
                WP_CLI::error(sprintf(__('The bench key %s is taken (another bench runs?).', 'sluice'), $key));
            }
            $backend->release($lease);
            return hrtime(true) - $start;
        };
        for ($i = 0; $i < min(50, $pairs); $i++) {
            $pair(); // warm-up: first connection, limiter objects, caches
        }
        $queriesBefore = (int) $wpdb->num_queries;
        $tripsBefore = RedisScripts::$roundTrips;
        $times = [];
        for ($i = 0; $i < $pairs; $i++) {
            $times[] = $pair();
        }
        $queries = ((int) $wpdb->num_queries - $queriesBefore) / $pairs;
        $trips = (RedisScripts::$roundTrips - $tripsBefore) / $pairs;
        $backend->operatorView()->reset($key);
        sort($times);
        $result = [
            'backend' => $backend->name(),
            'pairs' => $pairs,
            'median_ns' => $times[intdiv($pairs, 2)],
            'p90_ns' => $times[min($pairs - 1, intdiv($pairs * 9, 10))],
            'mean_ns' => (int) round(array_sum($times) / $pairs),
            'queries_per_pair' => round($queries, 2),
            'redis_round_trips_per_pair' => round($trips, 2),
        ];
        (new Formatter($assoc, array_keys($result)))->display_item($result);
    }

    /** The usable backend of a choice (the site's by default), or an error that says why there is none. */
    private function backendOrExit(?BackendChoice $choice = null): Backend
    {
        $choice ??= $this->backends;
        $backend = $choice->backend();
        if ($backend === null) {
            WP_CLI::error(sprintf(
                /* translators: %s: why no lease store can be used */
                __('No lease store is usable: %s', 'sluice'),
                (string) $choice->unavailableReason(),
            ));
        }
        return $backend;
    }
}
