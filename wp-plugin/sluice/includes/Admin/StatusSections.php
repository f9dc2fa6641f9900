<?php
/**
 * The status page's sections as HTML, escaped here and only here: the page
 * prints them once, the live refresh (StatusAjax) sends them again and the
 * script swaps them in. The release and reset buttons are POST forms to
 * admin-post.php with their nonces (LeaseActions checks them).
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Backend\KeyStatus;

final class StatusSections
{
    public const SECTIONS = ['backend', 'keys', 'holders', 'line', 'counters', 'events'];

    public function __construct(private readonly StatusSource $source)
    {
    }

    /** @return array<string, string> section id => HTML */
    public function all(): array
    {
        $keys = $this->source->keys();
        return [
            'backend' => $this->backend(),
            'keys' => $this->keys($keys),
            'holders' => $this->holders($keys),
            'line' => $this->line(),
            'counters' => $this->counters($keys),
            'events' => $this->events(),
        ];
    }

    private function backend(): string
    {
        $name = $this->source->backendName();
        $reason = $this->source->unavailableReason();
        $gating = $this->source->gatingEnabled();
        $html = '<table class="sluice-facts"><tbody>';
        $html .= $this->fact(__('Backend in use', 'sluice'), $name !== null ? esc_html($name) : '<strong>' . esc_html__('none', 'sluice') . '</strong>');
        $health = $reason === null
            ? '<span class="sluice-ok">' . esc_html__('healthy', 'sluice') . '</span>'
            : '<span class="sluice-bad">' . esc_html($reason) . '</span>';
        $html .= $this->fact(__('Health', 'sluice'), $health);
        $html .= $this->fact(__('Gating', 'sluice'), $gating
            ? '<span class="sluice-ok">' . esc_html__('on', 'sluice') . '</span>'
            : '<span class="sluice-bad">' . esc_html__('off: AI work runs ungated', 'sluice') . '</span>');
        $html .= $this->fact(__('Site key', 'sluice'), '<code>' . esc_html($this->source->siteKey()) . '</code>');
        return $html . '</tbody></table>';
    }

    /** @param array<string, KeyStatus> $keys */
    private function keys(array $keys): string
    {
        if ($keys === []) {
            return $this->empty(__('No key yet: the first AI step creates this site\'s key.', 'sluice'));
        }
        $head = [__('Key', 'sluice'), __('Limit', 'sluice'), __('Active', 'sluice'), __('Peak', 'sluice'), __('Mean hold', 'sluice'), __('Waiting / reserved', 'sluice'), ''];
        $rows = [];
        foreach ($keys as $key => $status) {
            // Newer stores report a mean hold time and wake-ups; read them where the KeyStatus has them.
            $vars = get_object_vars($status);
            $holdMs = (int) ($vars['meanHoldMs'] ?? 0);
            $line = is_int($vars['queued'] ?? null) && is_int($vars['reserved'] ?? null)
                ? esc_html($vars['queued'] . ' / ' . $vars['reserved'])
                : '&mdash;';
            $hold = $holdMs > 0 ? $this->duration($holdMs) : '<span title="' . esc_attr__('Not known yet', 'sluice') . '">&mdash;</span>';
            $rows[] = [
                '<code title="' . esc_attr($key) . '">' . esc_html($this->shortKey($key)) . '</code>',
                esc_html((string) $status->limit),
                '<strong>' . esc_html((string) $status->active) . '</strong>',
                esc_html((string) $status->peak),
                $hold,
                $line,
                $this->postButton('sluice_reset_key', ['key' => $key], __('Reset key', 'sluice'), __('Drop every lease of this key now?', 'sluice')),
            ];
        }
        return $this->table($head, $rows, 'sluice-keys');
    }

    /** @param array<string, KeyStatus> $keys */
    private function holders(array $keys): string
    {
        $head = [__('Key', 'sluice'), __('Action', 'sluice'), __('Job', 'sluice'), __('Flow step', 'sluice'), __('Provider', 'sluice'),
            __('Age', 'sluice'), __('TTL left', 'sluice'), __('PID', 'sluice'), __('Provider request', 'sluice'), ''];
        $rows = [];
        foreach ($keys as $key => $status) {
            foreach ($status->holders as $holder) {
                $label = HolderLabel::parse($holder->label);
                // Stores with a waiting line mark slots reserved for a woken step (read where Holder has it).
                $reserved = (get_object_vars($holder)['reservation'] ?? false) === true;
                $request = $reserved
                    ? esc_html__('reserved for a woken step', 'sluice')
                    : ($holder->requestOpen
                    ? sprintf(
                        /* translators: %s: how long the slot stays taken if the holder dies */
                        esc_html__('open (drains %s if the holder dies)', 'sluice'),
                        $this->duration($holder->drainLeftMs),
                    )
                    : esc_html__('none open', 'sluice'));
                $rows[] = [
                    '<code title="' . esc_attr($key) . '">' . esc_html($this->shortKey($key)) . '</code>',
                    $label->isGate() ? esc_html((string) $label->actionId) : esc_html($label->raw),
                    $label->jobId !== null ? esc_html((string) $label->jobId) : '&mdash;',
                    $label->step !== null ? '<code>' . esc_html($label->step) . '</code>' : '&mdash;',
                    $label->provider !== '' ? esc_html($label->provider) : '&mdash;',
                    $this->duration($holder->ageMs),
                    $this->duration($holder->ttlLeftMs),
                    esc_html((string) $holder->pid),
                    $request,
                    $this->postButton('sluice_release_lease', ['token' => $holder->token], __('Release', 'sluice'), '', ['data-token' => $holder->token]),
                ];
            }
        }
        if ($rows === []) {
            return $this->empty(__('No AI step holds a slot right now.', 'sluice'));
        }
        return $this->table($head, $rows, 'sluice-holders');
    }

    private function line(): string
    {
        $line = $this->source->line();
        if ($line === null) {
            return $this->empty(__('The waiting line and reservations come with wake-on-release; until then a deferred step waits for its rescheduled time.', 'sluice'));
        }
        if ($line === []) {
            return $this->empty(__('Nobody is waiting.', 'sluice'));
        }
        $head = array_map('strval', array_keys($line[0]));
        $rows = [];
        foreach ($line as $entry) {
            $rows[] = array_map(static fn ($v): string => esc_html($v === null ? '' : (is_bool($v) ? ($v ? 'yes' : 'no') : (string) $v)), array_values($entry));
        }
        return $this->table(array_map(static fn (string $h): string => str_replace('_', ' ', $h), $head), $rows, 'sluice-line');
    }

    /** @param array<string, KeyStatus> $keys */
    private function counters(array $keys): string
    {
        $site = $keys[$this->source->siteKey()] ?? null;
        $deferrals = $this->source->deferrals();
        $wakes = $site !== null ? (get_object_vars($site)['wakesSent'] ?? null) : null;
        $woken = is_int($wakes) ? esc_html((string) $wakes) : '&mdash;';
        $cells = [
            [__('Acquired', 'sluice'), esc_html((string) ($site->acquired ?? 0))],
            [sprintf(
                /* translators: %d: deferrals in the last hour */
                __('Deferred (%d in the last hour)', 'sluice'),
                $deferrals['last_hour'],
            ), esc_html((string) $deferrals['total'])],
            [__('Woken', 'sluice'), $woken],
            [__('Released', 'sluice'), esc_html((string) ($site->released ?? 0))],
            [__('Reclaimed: dead holder', 'sluice'), esc_html((string) ($site->reclaimedDead ?? 0))],
            [__('Reclaimed: expired', 'sluice'), esc_html((string) ($site->reclaimedExpired ?? 0))],
        ];
        $html = '<ul class="sluice-counters">';
        foreach ($cells as [$label, $value]) {
            $html .= '<li><span class="sluice-counter-value">' . $value . '</span><span class="sluice-counter-label">' . esc_html($label) . '</span></li>';
        }
        return $html . '</ul>';
    }

    private function events(): string
    {
        $events = $this->source->latestEvents(15);
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

    /** "site" or "provider:fake" for this site's keys; host-wide keys keep their full name. */
    private function shortKey(string $key): string
    {
        $site = $this->source->siteKey();
        $prefix = substr($site, 0, -strlen('site'));
        return str_starts_with($key, $prefix) ? substr($key, strlen($prefix)) : $key;
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
