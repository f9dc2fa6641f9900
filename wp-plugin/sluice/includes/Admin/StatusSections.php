<?php
/**
 * The status sections as HTML, escaped here and only here, from one blog's
 * report (Status\SiteStatus::report(), the builder behind `wp sluice status`
 * and the REST status): the status page prints them once, the live refresh
 * (StatusAjax) sends them again and the script swaps them in, and the
 * network status page prints every blog's read-only. On a blog's own page
 * the release and reset buttons are POST forms to admin-post.php with their
 * nonces (LeaseActions checks them); the read-only sections have none.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

final class StatusSections
{
    public const SECTIONS = ['backend', 'keys', 'holders', 'line', 'counters', 'events'];

    /**
     * @param array<string, mixed> $report the blog's SiteStatus::report()
     * @param StatusSource|null    $source the blog's event log and samples; null for read-only sections (no buttons, no event log)
     */
    public function __construct(
        private readonly array $report,
        private readonly ?StatusSource $source = null,
    ) {
    }

    /** @return array<string, string> section id => HTML */
    public function all(): array
    {
        return [
            'backend' => $this->backend(),
            'keys' => $this->keys(),
            'holders' => $this->holders(),
            'line' => $this->line(),
            'counters' => $this->counters(),
            'events' => $this->events(),
        ];
    }

    public function backend(): string
    {
        $name = $this->report['backend'] ?? null;
        $reason = $this->report['backend_unavailable'] ?? null;
        $html = '<table class="sluice-facts"><tbody>';
        $html .= $this->fact(__('Backend in use', 'sluice'), is_string($name) ? esc_html($name) : '<strong>' . esc_html__('none', 'sluice') . '</strong>');
        $health = !is_string($reason)
            ? '<span class="sluice-ok">' . esc_html__('healthy', 'sluice') . '</span>'
            : '<span class="sluice-bad">' . esc_html($reason) . '</span>';
        $html .= $this->fact(__('Health', 'sluice'), $health);
        $redis = $this->report['redis_unreachable'] ?? null;
        if (is_string($redis)) {
            $html .= $this->fact(__('Redis', 'sluice'), '<span class="sluice-bad">' . esc_html(sprintf(
                /* translators: 1: why Redis cannot be used, 2: the store in use instead, or "none" */
                __('unreachable (%1$s): serving from %2$s instead (setting "When Redis is unreachable")', 'sluice'),
                $redis,
                is_string($name) ? $name : __('none, AI work runs ungated', 'sluice'),
            )) . '</span>');
        }
        $html .= $this->fact(__('Gating', 'sluice'), ($this->report['enabled'] ?? false) === true
            ? '<span class="sluice-ok">' . esc_html__('on', 'sluice') . '</span>'
            : '<span class="sluice-bad">' . esc_html__('off: AI work runs ungated', 'sluice') . '</span>');
        $html .= $this->fact(__('Site limit', 'sluice'), esc_html((string) self::int($this->report, 'site_limit')));
        $html .= $this->fact(__('Site key', 'sluice'), '<code>' . esc_html($this->siteKey()) . '</code>');
        return $html . '</tbody></table>';
    }

    public function keys(): string
    {
        $keys = $this->keyRows();
        if ($keys === []) {
            return $this->empty(__('No key yet: the first AI step creates this site\'s key.', 'sluice'));
        }
        $head = [__('Key', 'sluice'), __('Limit', 'sluice'), __('Active', 'sluice'), __('Peak', 'sluice'), __('Mean hold', 'sluice'), __('Waiting / reserved', 'sluice')];
        if ($this->source !== null) {
            $head[] = '';
        }
        $rows = [];
        foreach ($keys as $key => $status) {
            // Stores report a mean hold time and the waiting line's counts where they keep them.
            $holdMs = self::int($status, 'mean_hold_ms');
            $line = is_int($status['queued'] ?? null) && is_int($status['reserved'] ?? null)
                ? esc_html($status['queued'] . ' / ' . $status['reserved'])
                : '&mdash;';
            $hold = $holdMs > 0 ? $this->duration($holdMs) : '<span title="' . esc_attr__('Not known yet', 'sluice') . '">&mdash;</span>';
            $row = [
                '<code title="' . esc_attr($key) . '">' . esc_html($this->shortKey($key)) . '</code>',
                esc_html((string) self::int($status, 'limit')),
                '<strong>' . esc_html((string) self::int($status, 'active')) . '</strong>',
                esc_html((string) self::int($status, 'peak')),
                $hold,
                $line,
            ];
            if ($this->source !== null) {
                $row[] = $this->postButton('sluice_reset_key', ['key' => $key], __('Reset key', 'sluice'), __('Drop every lease of this key now?', 'sluice'));
            }
            $rows[] = $row;
        }
        return $this->table($head, $rows, 'sluice-keys');
    }

    public function holders(): string
    {
        $head = [__('Key', 'sluice'), __('Action', 'sluice'), __('Job', 'sluice'), __('Flow step', 'sluice'), __('Provider', 'sluice'),
            __('Age', 'sluice'), __('TTL left', 'sluice'), __('PID', 'sluice'), __('Provider request', 'sluice')];
        if ($this->source !== null) {
            $head[] = '';
        }
        $rows = [];
        foreach ($this->keyRows() as $key => $status) {
            foreach (is_array($status['holders'] ?? null) ? $status['holders'] : [] as $holder) {
                if (!is_array($holder)) {
                    continue;
                }
                $label = HolderLabel::parse(self::str($holder, 'label'));
                $token = self::str($holder, 'token');
                // Stores with a waiting line mark slots reserved for a woken step.
                $request = ($holder['reservation'] ?? false) === true
                    ? esc_html__('reserved for a woken step', 'sluice')
                    : (($holder['request_open'] ?? false) === true
                    ? sprintf(
                        /* translators: %s: how long the slot stays taken if the holder dies */
                        esc_html__('open (drains %s if the holder dies)', 'sluice'),
                        $this->duration(self::int($holder, 'drain_left_ms')),
                    )
                    : esc_html__('none open', 'sluice'));
                $row = [
                    '<code title="' . esc_attr($key) . '">' . esc_html($this->shortKey($key)) . '</code>',
                    $label->isGate() ? esc_html((string) $label->actionId) : esc_html($label->raw),
                    $label->jobId !== null ? esc_html((string) $label->jobId) : '&mdash;',
                    $label->step !== null ? '<code>' . esc_html($label->step) . '</code>' : '&mdash;',
                    $label->provider !== '' ? esc_html($label->provider) : '&mdash;',
                    $this->duration(self::int($holder, 'age_ms')),
                    $this->duration(self::int($holder, 'ttl_left_ms')),
                    esc_html((string) self::int($holder, 'pid')),
                    $request,
                ];
                if ($this->source !== null) {
                    $row[] = $this->postButton('sluice_release_lease', ['token' => $token], __('Release', 'sluice'), '', ['data-token' => $token]);
                }
                $rows[] = $row;
            }
        }
        if ($rows === []) {
            return $this->empty(__('No AI step holds a slot right now.', 'sluice'));
        }
        return $this->table($head, $rows, 'sluice-holders');
    }

    /** One row per ticket of the blog's queues (the queue's tenant, weight and keys, then the ticket's fields). */
    public function line(): string
    {
        $queues = $this->report['line'] ?? null;
        if (!is_array($queues)) {
            return $this->empty(__('The waiting line and reservations come with wake-on-release; until then a deferred step waits for its rescheduled time.', 'sluice'));
        }
        $entries = [];
        foreach ($queues as $queue) {
            if (!is_array($queue)) {
                continue;
            }
            $tickets = is_array($queue['tickets'] ?? null) && $queue['tickets'] !== [] ? $queue['tickets'] : [[]];
            unset($queue['tickets']);
            $keys = is_array($queue['keys'] ?? null) ? array_keys($queue['keys']) : [];
            $queue['keys'] = implode(', ', array_map(fn (int|string $key): string => $this->shortKey((string) $key), $keys));
            foreach ($tickets as $ticket) {
                $entries[] = $queue + (is_array($ticket) ? $ticket : []);
            }
        }
        if ($entries === []) {
            return $this->empty(__('Nobody is waiting.', 'sluice'));
        }
        $columns = [];
        foreach ($entries as $entry) {
            $columns += array_fill_keys(array_map('strval', array_keys($entry)), true);
        }
        $rows = [];
        foreach ($entries as $entry) {
            $row = [];
            foreach (array_keys($columns) as $column) {
                $row[] = $this->lineCell($column, $entry[$column] ?? null);
            }
            $rows[] = $row;
        }
        return $this->table(array_map(static fn (string $h): string => str_replace('_', ' ', $h), array_keys($columns)), $rows, 'sluice-line');
    }

    /** Counters of the site key; on a blog's own page the event log's deferrals too. */
    public function counters(): string
    {
        $site = $this->keyRows()[$this->siteKey()] ?? [];
        $wakes = $site['wakes_sent'] ?? null;
        $cells = [[__('Acquired', 'sluice'), esc_html((string) self::int($site, 'acquired'))]];
        if ($this->source !== null) {
            $deferrals = $this->source->deferrals();
            $cells[] = [sprintf(
                /* translators: %d: deferrals in the last hour */
                __('Deferred (%d in the last hour)', 'sluice'),
                $deferrals['last_hour'],
            ), esc_html((string) $deferrals['total'])];
        } else {
            $cells[] = [__('Refused (no free slot)', 'sluice'), esc_html((string) self::int($site, 'throttled'))];
        }
        array_push(
            $cells,
            [__('Woken', 'sluice'), is_int($wakes) ? esc_html((string) $wakes) : '&mdash;'],
            [__('Released', 'sluice'), esc_html((string) self::int($site, 'released'))],
            [__('Reclaimed: dead holder', 'sluice'), esc_html((string) self::int($site, 'reclaimed_dead'))],
            [__('Reclaimed: expired', 'sluice'), esc_html((string) self::int($site, 'reclaimed_expired'))],
        );
        $html = '<ul class="sluice-counters">';
        foreach ($cells as [$label, $value]) {
            $html .= '<li><span class="sluice-counter-value">' . $value . '</span><span class="sluice-counter-label">' . esc_html($label) . '</span></li>';
        }
        return $html . '</ul>';
    }

    public function events(): string
    {
        $events = $this->source?->latestEvents(15) ?? [];
        if ($events === []) {
            return $this->empty(__('No AI step has been deferred yet.', 'sluice'));
        }
        $head = [__('When (UTC)', 'sluice'), __('Action', 'sluice'), __('Job', 'sluice'), __('Flow step', 'sluice'), __('Provider', 'sluice'),
            __('Full key', 'sluice'), __('Limit / active', 'sluice'), __('Rescheduled for', 'sluice'), __('Attempt', 'sluice')];
        $rows = [];
        foreach ($events as $event) {
            $rows[] = [
                esc_html((string) ($event['created_at'] ?? '')),
                esc_html((string) ($event['action_id'] ?? '')) . ' &rarr; ' . esc_html((string) ($event['copy_action_id'] ?? '')),
                esc_html((string) ($event['job_id'] ?? '')),
                '<code>' . esc_html((string) ($event['flow_step_id'] ?? '')) . '</code>',
                esc_html((string) ($event['provider'] ?? '')),
                '<code>' . esc_html($this->shortKey((string) ($event['lease_key'] ?? ''))) . '</code>',
                esc_html(($event['limit_n'] ?? '') . ' / ' . ($event['active_n'] ?? '')),
                esc_html(sprintf(
                    /* translators: %d: seconds */
                    __('%d s', 'sluice'),
                    (int) ($event['delay_s'] ?? 0),
                )),
                esc_html((string) ($event['attempt'] ?? '')),
            ];
        }
        return $this->table($head, $rows, 'sluice-events');
    }

    /** The blog's site key ("sluice/<install>/<blog_id>/site"). */
    public function siteKey(): string
    {
        return self::str($this->report, 'key_prefix') . 'site';
    }

    /**
     * The report's keys by name, the site key first.
     *
     * @return array<string, array<string, mixed>>
     */
    private function keyRows(): array
    {
        $rows = [];
        foreach (is_array($this->report['keys'] ?? null) ? $this->report['keys'] : [] as $row) {
            if (is_array($row) && is_string($row['key'] ?? null)) {
                $rows[$row['key']] = $row;
            }
        }
        $site = $this->siteKey();
        uksort($rows, static fn (string $a, string $b): int => [$a !== $site, $a] <=> [$b !== $site, $b]);
        return $rows;
    }

    /** "site" or "provider:fake" for the blog's keys; host-wide keys keep their full name. */
    private function shortKey(string $key): string
    {
        $prefix = self::str($this->report, 'key_prefix');
        return $prefix !== '' && str_starts_with($key, $prefix) ? substr($key, strlen($prefix)) : $key;
    }

    /** A cell of the waiting line, escaped: durations in words, unix times as UTC dates. */
    private function lineCell(string $column, mixed $value): string
    {
        if (is_int($value) && str_ends_with($column, '_ms')) {
            return $this->duration($value);
        }
        if (is_int($value) && str_ends_with($column, '_at')) {
            return $value > 0 ? esc_html(gmdate('Y-m-d H:i:s', $value)) : '&mdash;';
        }
        if (is_bool($value)) {
            return esc_html($value ? __('yes', 'sluice') : __('no', 'sluice'));
        }
        return esc_html(is_scalar($value) ? (string) $value : ($value === null ? '' : (string) wp_json_encode($value)));
    }

    /** @param array<mixed> $row */
    private static function int(array $row, string $field): int
    {
        $value = $row[$field] ?? 0;
        return is_int($value) ? $value : (is_numeric($value) ? (int) $value : 0);
    }

    /** @param array<mixed> $row */
    private static function str(array $row, string $field): string
    {
        $value = $row[$field] ?? '';
        return is_scalar($value) ? (string) $value : '';
    }

    /** A duration in words, escaped. */
    private function duration(int $ms): string
    {
        if ($ms < 1000) {
            /* translators: %d: milliseconds */
            return esc_html(sprintf(__('%d ms', 'sluice'), max(0, $ms)));
        }
        $s = intdiv($ms, 1000);
        if ($s < 120) {
            /* translators: %s: seconds with one decimal */
            return esc_html(sprintf(__('%s s', 'sluice'), number_format_i18n($ms / 1000, 1)));
        }
        /* translators: 1: minutes, 2: seconds */
        return esc_html(sprintf(__('%1$d min %2$d s', 'sluice'), intdiv($s, 60), $s % 60));
    }

    private function fact(string $label, string $valueHtml): string
    {
        return '<tr><th scope="row">' . esc_html($label) . '</th><td>' . $valueHtml . '</td></tr>';
    }

    private function empty(string $text): string
    {
        return '<p class="sluice-empty">' . esc_html($text) . '</p>';
    }

    /**
     * @param list<string>       $head  plain text
     * @param list<list<string>> $rows  escaped HTML cells
     */
    private function table(array $head, array $rows, string $class): string
    {
        $html = '<table class="widefat striped sluice-table ' . esc_attr($class) . '"><thead><tr>';
        foreach ($head as $cell) {
            $html .= '<th scope="col">' . esc_html($cell) . '</th>';
        }
        $html .= '</tr></thead><tbody>';
        foreach ($rows as $row) {
            $html .= '<tr><td>' . implode('</td><td>', $row) . '</td></tr>';
        }
        return $html . '</tbody></table>';
    }

    /**
     * A one-button POST form to admin-post.php with the action's nonce.
     *
     * @param array<string, string> $fields
     * @param array<string, string> $attributes on the form
     */
    private function postButton(string $action, array $fields, string $label, string $confirm = '', array $attributes = []): string
    {
        $html = '<form method="post" class="sluice-action" action="' . esc_url(admin_url('admin-post.php')) . '"';
        if ($confirm !== '') {
            $html .= ' data-confirm="' . esc_attr($confirm) . '"';
        }
        foreach ($attributes as $name => $value) {
            $html .= ' ' . esc_attr($name) . '="' . esc_attr($value) . '"';
        }
        $html .= '><input type="hidden" name="action" value="' . esc_attr($action) . '">';
        foreach ($fields as $name => $value) {
            $html .= '<input type="hidden" name="' . esc_attr($name) . '" value="' . esc_attr($value) . '">';
        }
        $html .= wp_nonce_field($action, '_wpnonce', false, false);
        $html .= '<button type="submit" class="button button-small">' . esc_html($label) . '</button></form>';
        return $html;
    }
}
