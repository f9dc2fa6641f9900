<?php
/**
 * `wp sluice status|holders|budgets|line|report`: what Sluice holds on this site
 * (on a network, --url picks the blog; --network lists every blog), from
 * Status\SiteStatus's typed report. The lists go through WP-CLI's Formatter
 * (table, csv, json, yaml, count, --fields, --field), as WP-CLI's own list
 * commands do; `report` prints the REST route's JSON.
 */

declare(strict_types=1);

namespace SluiceWP\Cli;

use SluiceWP\Backend\Holder;
use SluiceWP\Backend\QueueStatus;
use SluiceWP\Backend\TicketStatus;
use SluiceWP\Status\KeyReport;
use SluiceWP\Status\Plain;
use SluiceWP\Status\SiteReport;
use SluiceWP\Status\SiteStatus;
use WP_CLI;
use WP_CLI\Formatter;

defined('ABSPATH') || exit;

final class StatusCommand
{
    private const KEY_FIELDS = ['key', 'scope', 'limit', 'active', 'peak', 'queued', 'reserved', 'acquired', 'throttled', 'released', 'reclaimed_dead', 'reclaimed_expired', 'effective_limit', 'circuit', 'last_signal'];
    private const HOLDER_FIELDS = ['key', 'token', 'pid', 'host', 'label', 'age_ms', 'ttl_left_ms', 'request_open', 'drain_left_ms'];
    private const BUDGET_FIELDS = ['key', 'per_minute', 'source', 'level', 'paused_until', 'refusals'];
    private const TICKET_FIELDS = ['tenant', 'weight', 'keys', 'ticket', 'ref', 'state', 'age_ms', 'reserved_left_ms'];

    public function __construct(private readonly SiteStatus $status)
    {
    }

    public function register(): void
    {
        WP_CLI::add_command('sluice status', [$this, 'status']);
        WP_CLI::add_command('sluice holders', [$this, 'holders']);
        WP_CLI::add_command('sluice budgets', [$this, 'budgets']);
        WP_CLI::add_command('sluice line', [$this, 'line']);
        WP_CLI::add_command('sluice report', [$this, 'report']);
    }

    /**
     * Lists this site's keys: limit, active, peak, the waiting line's counts and the counters; a protected provider's key
     * also its adaptive limit in force, its circuit breaker's state and its last congestion signal.
     *
     * ## OPTIONS
     *
     * [--network]
     * : On a network, every blog's keys (with a blog_id field).
     *
     * [--fields=<fields>]
     * : Limit the output to these fields (default: key, scope, limit, active, peak, queued, reserved, acquired, throttled, released, reclaimed_dead, reclaimed_expired, effective_limit, circuit, last_signal).
     *
     * [--field=<field>]
     * : Print one field of each key.
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
     * ## AVAILABLE FIELDS
     *
     * blog_id, key, scope, limit, active, peak, peak_since (unix seconds: the key's creation, its last reset or
     * change of limit; 0 unknown), queued, reserved, acquired, throttled, released, reclaimed_dead,
     * reclaimed_expired, mean_hold_ms, wakes_sent, wakes_lapsed, wakes_missed, holders (how many); for a protected
     * provider's key (else empty): ceiling (its provider limit), effective_limit (the adaptive limit in force), adaptive,
     * last_signal (timeout, transport, 429, 503, 529, 5xx, latency), last_signal_at, baseline_ms, circuit (closed, open,
     * half_open), circuit_reason, failures, opened_at, next_probe_at (times in UTC), cooldown_s, circuit_opens
     *
     * ## EXAMPLES
     *
     *     wp sluice status
     *     wp sluice status --format=json
     *     wp sluice status --network --fields=blog_id,key,active
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function status(array $args, array $assoc): void
    {
        $rows = [];
        foreach ($this->reports($assoc) as $report) {
            foreach ($report->keys as $key) {
                $rows[] = ['blog_id' => $report->blogId] + self::keyRow($key);
            }
        }
        $this->display($rows, $assoc, self::KEY_FIELDS);
    }

    /**
     * Lists the leases held on this site's keys: token, pid, host, label, age, TTL left, open provider request.
     *
     * ## OPTIONS
     *
     * [--network]
     * : On a network, every blog's holders (with a blog_id field).
     *
     * [--fields=<fields>]
     * : Limit the output to these fields (default: key, token, pid, host, label, age_ms, ttl_left_ms, request_open, drain_left_ms).
     *
     * [--field=<field>]
     * : Print one field of each holder.
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
     * ## AVAILABLE FIELDS
     *
     * blog_id, key, token, pid, host, label, age_ms, ttl_left_ms, request_open, drain_left_ms, ref, reservation, scope, redacted
     *
     * Another site's lease on a host-wide key is shown redacted (no token, pid, host, label or ref) unless the
     * command runs without --user (the host's operator) or as a network administrator.
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function holders(array $args, array $assoc): void
    {
        $rows = [];
        foreach ($this->reports($assoc) as $report) {
            foreach ($report->keys as $key) {
                foreach ($key->status->holders as $holder) {
                    $rows[] = ['blog_id' => $report->blogId, 'key' => $key->status->key] + self::holderRow($holder);
                }
            }
        }
        $this->display($rows, $assoc, self::HOLDER_FIELDS);
    }

    /**
     * Lists the rate budgets' buckets of this site's providers and the host-wide ones (rpm:<provider>,
     * tpm:<provider>, sluice/qps): the most a minute may take, whose budget it is, what is left and the provider's pause.
     *
     * ## OPTIONS
     *
     * [--network]
     * : On a network, every blog's (with a blog_id field).
     *
     * [--fields=<fields>]
     * : Limit the output to these fields (default: key, per_minute, source, level, paused_until, refusals).
     *
     * [--field=<field>]
     * : Print one field of each budget.
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
     * ## AVAILABLE FIELDS
     *
     * blog_id, key, per_minute (a minute's refill plus the burst: the most any 60 s may take), source (set: the
     * setting's budget; provider: the one its rate-limit headers announced), level (left now; below 0 a debt),
     * paused_until (UTC; empty: no pause), takes, refusals
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function budgets(array $args, array $assoc): void
    {
        $rows = [];
        foreach ($this->reports($assoc) as $report) {
            foreach ($report->budgets as $budget) {
                $row = ['blog_id' => $report->blogId] + Plain::of($budget);
                $row['paused_until'] = $budget->pausedUntil > 0 ? gmdate('Y-m-d H:i:s', $budget->pausedUntil) : '';
                $rows[] = $row;
            }
        }
        $this->display($rows, $assoc, self::BUDGET_FIELDS);
    }

    /**
     * Lists the waiting line's tickets on this site's keys, in service order (where the store keeps a line).
     *
     * ## OPTIONS
     *
     * [--network]
     * : On a network, every blog's tickets (with a blog_id field).
     *
     * [--fields=<fields>]
     * : Limit the output to these fields (default: tenant, weight, keys, ticket, ref, state, age_ms, reserved_left_ms).
     *
     * [--field=<field>]
     * : Print one field of each ticket.
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
     * ## AVAILABLE FIELDS
     *
     * blog_id, tenant, weight, keys, ticket, ref, state, age_ms, first_deferred_at, reserved_left_ms, effective_weight
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function line(array $args, array $assoc): void
    {
        $rows = [];
        foreach ($this->reports($assoc) as $report) {
            if ($report->line === null) {
                WP_CLI::warning(sprintf(
                    /* translators: 1: blog id, 2: backend name */
                    __('Blog %1$d: the lease store (%2$s) keeps no waiting line; deferred steps wait for their rescheduled time.', 'sluice'),
                    $report->blogId,
                    (string) ($report->backend ?? __('none', 'sluice')),
                ));
                continue;
            }
            foreach ($report->line as $queue) {
                foreach ($queue->tickets as $ticket) {
                    $rows[] = ['blog_id' => $report->blogId] + self::ticketRow($queue, $ticket);
                }
            }
        }
        $this->display($rows, $assoc, self::TICKET_FIELDS);
    }

    /**
     * Prints this site's whole report: the same data as GET /wp-json/sluice/v1/status.
     *
     * ## OPTIONS
     *
     * [--network]
     * : On a network, every blog's report, by blog id.
     *
     * [--format=<format>]
     * : Render output in a particular format.
     * ---
     * default: json
     * options:
     *   - json
     *   - yaml
     * ---
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function report(array $args, array $assoc): void
    {
        $reports = array_map(static fn (SiteReport $r): array => $r->toArray(), $this->reports($assoc));
        WP_CLI::print_value(isset($assoc['network']) ? $reports : reset($reports), ['format' => $assoc['format'] ?? 'json']);
    }

    /**
     * The blog's report, or every blog's with --network; a warning for each blog whose AI work runs ungated.
     *
     * @param array<string, string> $assoc
     * @return array<int, SiteReport>
     */
    private function reports(array $assoc): array
    {
        $reports = isset($assoc['network']) ? $this->status->network() : [get_current_blog_id() => $this->status->report()];
        foreach ($reports as $report) {
            // Every problem of the blog's health, with its fix (the status page and the admin notice show the same).
            foreach ($report->health->problems as $problem) {
                WP_CLI::warning($problem->message . ($problem->fix !== '' ? ' ' . __('Fix:', 'sluice') . ' ' . $problem->fix : ''));
            }
            if (!$report->enabled) {
                WP_CLI::warning(__('Gating is off (setting enabled): AI work runs ungated.', 'sluice'));
            }
        }
        return $reports;
    }

    /**
     * @param list<array<string, mixed>> $rows
     * @param array<string, string>      $assoc
     * @param list<string>               $fields the default fields (blog_id first with --network)
     */
    private function display(array $rows, array $assoc, array $fields): void
    {
        if (isset($assoc['network'])) {
            array_unshift($fields, 'blog_id');
            unset($assoc['network']);
        }
        (new Formatter($assoc, $fields))->display_items($rows);
    }

    /** @return array<string, mixed> */
    private static function keyRow(KeyReport $key): array
    {
        $row = ['key' => $key->status->key, 'scope' => $key->scope] + Plain::of($key->status);
        $row['holders'] = count($key->status->holders);
        $p = $key->provider;
        $time = static fn (?float $t): string => $t === null ? '' : gmdate('Y-m-d H:i:s', (int) $t);
        return $row + [
            'ceiling' => $p->ceiling ?? '',
            'effective_limit' => $p->effectiveLimit ?? '',
            'adaptive' => $p === null ? '' : ($p->adaptive ? 'yes' : 'no'),
            'last_signal' => $p->lastSignal ?? '',
            'last_signal_at' => $time($p?->lastSignalAt),
            'baseline_ms' => $p->baselineMs ?? '',
            'circuit' => $p === null ? '' : ($p->breaker ? $p->circuit : 'off'),
            'circuit_reason' => $p->circuitReason ?? '',
            'failures' => $p->failures ?? '',
            'opened_at' => $time($p?->openedAt),
            'next_probe_at' => $time($p?->nextProbeAt),
            'cooldown_s' => $p->cooldownSeconds ?? '',
            'circuit_opens' => $p->opens ?? '',
        ];
    }

    /** @return array<string, mixed> */
    private static function holderRow(Holder $holder): array
    {
        return Plain::of($holder);
    }

    /** @return array<string, mixed> */
    private static function ticketRow(QueueStatus $queue, TicketStatus $ticket): array
    {
        return ['tenant' => $queue->tenant, 'weight' => $queue->weight, 'keys' => implode(',', array_keys($queue->keys))] + Plain::of($ticket);
    }
}
