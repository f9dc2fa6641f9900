<?php
/** How `wp sluice` prints: the status tables, YAML, and the backend or a clear error. */

declare(strict_types=1);

namespace SluiceWP\Cli;

use WP_CLI;

defined('ABSPATH') || exit;

final class Output
{
    /** Key columns, in this order, where the report has them. */
    private const KEY_COLUMNS = ['key', 'limit', 'active', 'peak', 'queued', 'reserved', 'acquired', 'throttled', 'released', 'reclaimed_dead', 'reclaimed_expired'];
    private const HOLDER_COLUMNS = ['token', 'key', 'pid', 'label', 'age_ms', 'ttl_left_ms', 'request_open', 'drain_left_ms'];

    /** @param array<string, mixed> $report SiteStatus::report() */
    public static function statusTable(array $report): void
    {
        WP_CLI::line(sprintf(
            /* translators: 1: blog id, 2: backend name, 3: yes/no, 4: site limit */
            __('Blog %1$d, backend %2$s, gating %3$s, site limit %4$d', 'sluice'),
            (int) $report['blog_id'],
            (string) ($report['backend'] ?? __('none', 'sluice')),
            $report['enabled'] ? __('on', 'sluice') : __('off', 'sluice'),
            (int) $report['site_limit'],
        ));
        if ($report['backend_unavailable'] !== null) {
            WP_CLI::warning(sprintf(__('Sluice is not limiting AI work: %s', 'sluice'), (string) $report['backend_unavailable']));
        } elseif (($report['redis_unreachable'] ?? null) !== null) {
            /* translators: 1: why Redis cannot be used, 2: the backend in use instead */
            WP_CLI::warning(sprintf(__('Sluice cannot use Redis (%1$s): it limits AI work through the %2$s backend instead (setting redis_fallback).', 'sluice'), (string) $report['redis_unreachable'], (string) $report['backend']));
        }
        /** @var list<array<string, mixed>> $keys */
        $keys = $report['keys'];
        if ($keys === []) {
            WP_CLI::line(__('No keys yet: no AI work has taken a slot on this site since the host started.', 'sluice'));
            return;
        }
        $columns = array_values(array_filter(self::KEY_COLUMNS, static fn (string $c): bool => array_key_exists($c, $keys[0])));
        if (array_key_exists('waiting', $keys[0])) {
            $columns[] = 'waiting';
        }
        \WP_CLI\Utils\format_items('table', $keys, $columns);
        $holders = [];
        foreach ($keys as $key) {
            foreach ((array) $key['holders'] as $holder) {
                $holders[] = array_map(
                    static fn (mixed $v): mixed => is_bool($v) ? ($v ? 'yes' : 'no') : $v,
                    ['key' => $key['key']] + (array) $holder,
                );
            }
        }
        WP_CLI::line('');
        if ($holders === []) {
            WP_CLI::line(__('Holders: none.', 'sluice'));
        } else {
            WP_CLI::line(__('Holders:', 'sluice'));
            \WP_CLI\Utils\format_items('table', $holders, array_values(array_filter(self::HOLDER_COLUMNS, static fn (string $c): bool => array_key_exists($c, $holders[0]))));
        }
        if (isset($report['line']) && is_array($report['line'])) {
            $tickets = 0;
            foreach ($report['line'] as $queue) {
                $tickets += is_array($queue) && isset($queue['tickets']) && is_array($queue['tickets']) ? count($queue['tickets']) : 0;
            }
            WP_CLI::line('');
            WP_CLI::line(sprintf(
                /* translators: 1: tickets, 2: queues */
                __('Waiting line: %1$d deferred actions in %2$d queues.', 'sluice'),
                $tickets,
                count($report['line']),
            ));
        }
    }

    /** @param array<mixed> $data */
    public static function yaml(array $data): string
    {
        if (class_exists('Spyc')) {
            return rtrim(\Spyc::YAMLDump($data, 2, 0));
        }
        return (string) wp_json_encode($data, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES);
    }
}
