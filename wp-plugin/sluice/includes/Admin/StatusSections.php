<?php
/**
 * The status sections as HTML, escaped here and only here, from one blog's typed report (Status\SiteReport,
 * from SiteStatus, behind `wp sluice` and the REST status): the status page prints them once, the live refresh
 * (StatusAjax) sends them again and the script swaps them in, and the network status page prints every blog's
 * read-only. On a blog's own page the release and reset buttons are POST forms to admin-post.php with their
 * nonces (LeaseActions checks them); the read-only sections have none, nor has another site's (redacted)
 * holder, nor a host-wide key for someone who may not reset it. The capacity section is CapacitySection's.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Backend\Holder;
use SluiceWP\Backend\KeyStatus;
use SluiceWP\Backend\TicketStatus;
use SluiceWP\Gate\HolderLabel;
use SluiceWP\Status\OperatorRights;
use SluiceWP\Status\Health;
use SluiceWP\Status\SiteReport;

defined('ABSPATH') || exit;

final class StatusSections
{
    public const SECTIONS = ['backend', 'keys', 'providers', 'holders', 'line', 'counters', 'events'];

    /**
     * @param SiteReport        $report the blog's SiteStatus::report()
     * @param StatusSource|null $source the blog's event log and samples; null for read-only sections (no buttons, no event log)
     */
    public function __construct(
        private readonly SiteReport $report,
        private readonly ?StatusSource $source = null,
    ) {
    }

    /** @return array<string, string> section id => HTML */
    public function all(): array
    {
        return [
            'backend' => $this->backend(),
            'keys' => $this->keys(),
            'providers' => (new ProviderSection($this->report))->html(),
            'budgets' => (new BudgetSection($this->report))->html(),
            'capacity' => (new CapacitySection($this->source?->capacity(), $this->source?->capacityWhatIf(), $this->report->keyPrefix))->html(),
            'holders' => $this->holders(),
            'line' => $this->line(),
            'counters' => $this->counters(),
            'events' => $this->events(),
        ];
    }

    public function backend(): string
    {
        $name = $this->report->backend;
        $html = '<table class="sluice-facts"><tbody>';
        $html .= $this->fact(__('Backend in use', 'sluice'), is_string($name) ? esc_html($name) : '<strong>' . esc_html__('none', 'sluice') . '</strong>');
        $health = new HealthSection($this->report);
        $html .= $this->fact(__('Health', 'sluice'), $health->state());
        foreach ([
            __('Processes', 'sluice') => $health->processes(),
            __('Store for every process', 'sluice') => $health->siteStore(),
            __('Ran ungated after store errors', 'sluice') => $health->ungated(),
        ] as $label => $value) {
            if ($value !== '') {
                $html .= $this->fact($label, $value);
            }
        }
        if ($this->report->redisUnreachable !== null) {
            $html .= $this->fact(__('Redis', 'sluice'), '<span class="sluice-bad">' . esc_html(sprintf(
                /* translators: 1: why Redis cannot be used, 2: the store in use instead, or "none" */
                __('unreachable (%1$s): serving from %2$s instead (setting "When Redis is unreachable")', 'sluice'),
                $this->report->redisUnreachable,
                is_string($name) ? $name : __('none, AI work runs ungated', 'sluice'),
            )) . '</span>');
        }
        $html .= $this->fact(__('Gating', 'sluice'), match (true) {
            !$this->report->enabled => '<span class="sluice-bad">' . esc_html__('off: AI work runs ungated', 'sluice') . '</span>',
            $this->report->health->state === Health::UNGATED => '<span class="sluice-bad">' . esc_html__('on, but no store is usable here: AI work of this process runs ungated (see Health)', 'sluice') . '</span>',
            default => '<span class="sluice-ok">' . esc_html__('on', 'sluice') . '</span>',
        });
        $html .= $this->fact(__('Site limit', 'sluice'), esc_html((string) $this->report->siteLimit));
        $html .= $this->fact(__('Site key', 'sluice'), '<code>' . esc_html($this->report->siteKey()) . '</code>');
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
            // Stores report a mean hold time where they keep one.
            $hold = $status->meanHoldMs > 0 ? $this->duration($status->meanHoldMs) : '<span title="' . esc_attr__('Not known yet', 'sluice') . '">&mdash;</span>';
            $row = [
                '<code title="' . esc_attr($key) . '">' . esc_html($this->shortKey($key)) . '</code>',
                esc_html((string) $status->limit),
                '<strong>' . esc_html((string) $status->active) . '</strong>',
                $this->peak($status),
                $hold,
                esc_html($status->queued . ' / ' . $status->reserved),
            ];
            if ($this->source !== null) {
                // A host-wide key is every site's: only a network administrator may reset it (OperatorRights).
                $row[] = $this->report->key($key)?->scope === 'host' && !OperatorRights::mayResetHostWideKeys()
                    ? '<span class="description">' . esc_html__('shared by every site: a network administrator resets it', 'sluice') . '</span>'
                    : $this->postButton('sluice_reset_key', ['key' => $key], __('Reset key', 'sluice'), __('Drop every lease of this key now?', 'sluice'));
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
            foreach ($status->holders as $holder) {
                if ($holder->redacted) {
                    $rows[] = $this->otherSitesHolder($key, $holder);
                    continue;
                }
                $label = HolderLabel::parse($holder->label);
                $token = $holder->token;
                $request = $this->request($holder);
                $row = [
                    '<code title="' . esc_attr($key) . '">' . esc_html($this->shortKey($key)) . '</code>',
                    $label->isGate() ? esc_html((string) $label->actionId) : esc_html($label->raw),
                    $label->jobId !== null ? esc_html((string) $label->jobId) : '&mdash;',
                    $label->step !== null ? '<code>' . esc_html($label->step) . '</code>' : '&mdash;',
                    $label->provider !== '' ? esc_html($label->provider) : '&mdash;',
                    $this->duration($holder->ageMs),
                    $this->duration($holder->ttlLeftMs),
                    esc_html((string) $holder->pid),
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

    /**
     * Another site's lease on a host-wide key, as SiteStatus redacted it: its ages and drain, no token, pid, label
     * or action id, and no button.
     *
     * @return list<string>
     */
    private function otherSitesHolder(string $key, Holder $holder): array
    {
        $row = [
            '<code title="' . esc_attr($key) . '">' . esc_html($this->shortKey($key)) . '</code>',
            '<em>' . esc_html__('another site\'s step', 'sluice') . '</em>',
            '&mdash;', '&mdash;', '&mdash;',
            $this->duration($holder->ageMs),
            $this->duration($holder->ttlLeftMs),
            '&mdash;',
            $this->request($holder),
        ];
        if ($this->source !== null) {
            $row[] = '';
        }
        return $row;
    }

    /** One row per ticket of the blog's queues: the queue's tenant, weight and keys, then the ticket's fields. */
    public function line(): string
    {
        if ($this->report->line === null) {
            return $this->empty(__('The waiting line and reservations come with wake-on-release; until then a deferred step waits for its rescheduled time.', 'sluice'));
        }
        $rows = [];
        foreach ($this->report->line as $queue) {
            $keys = esc_html(implode(', ', array_map(fn (int|string $key): string => $this->shortKey((string) $key), array_keys($queue->keys))));
            foreach ($queue->tickets as $ticket) {
                $rows[] = [esc_html($queue->tenant), esc_html((string) $queue->weight), $keys, ...$this->ticketCells($ticket)];
            }
        }
        if ($rows === []) {
            return $this->empty(__('Nobody is waiting.', 'sluice'));
        }
        $head = [__('tenant', 'sluice'), __('weight', 'sluice'), __('keys', 'sluice'), __('ticket', 'sluice'), __('ref', 'sluice'),
            __('state', 'sluice'), __('age', 'sluice'), __('first deferred at', 'sluice'), __('reserved left', 'sluice'), __('effective weight', 'sluice')];
        return $this->table($head, $rows, 'sluice-line');
    }

    /** @return list<string> a ticket's cells, escaped */
    private function ticketCells(TicketStatus $ticket): array
    {
        return [
            esc_html($ticket->ticket),
            esc_html((string) $ticket->ref),
            esc_html($ticket->state),
            $this->duration($ticket->ageMs),
            $ticket->firstDeferredAt > 0 ? esc_html(gmdate('Y-m-d H:i:s', $ticket->firstDeferredAt)) : '&mdash;',
            $this->duration($ticket->reservedLeftMs),
            esc_html((string) $ticket->effectiveWeight),
        ];
    }

    /** What a holder's provider request is doing, escaped. */
    private function request(Holder $holder): string
    {
        if ($holder->reservation) {
            return esc_html__('reserved for a woken step', 'sluice');
        }
        if ($holder->requestOpen) {
            return sprintf(
                /* translators: %s: how long the slot stays taken if the holder dies */
                esc_html__('open (drains %s if the holder dies)', 'sluice'),
                $this->duration($holder->drainLeftMs),
            );
        }
        return esc_html__('none open', 'sluice');
    }

    /** Counters of the site key; on a blog's own page the event log's deferrals too. */
    public function counters(): string
    {
        $site = $this->keyRows()[$this->report->siteKey()] ?? null;
        $cells = [[__('Acquired', 'sluice'), esc_html((string) ($site->acquired ?? 0))]];
        if ($this->source !== null) {
            $deferrals = $this->source->deferrals();
            $cells[] = [sprintf(
                /* translators: %d: deferrals in the last hour */
                __('Deferred (%d in the last hour)', 'sluice'),
                $deferrals['last_hour'],
            ), esc_html((string) $deferrals['total'])];
        } else {
            $cells[] = [__('Refused (no free slot)', 'sluice'), esc_html((string) ($site->throttled ?? 0))];
        }
        array_push(
            $cells,
            [__('Woken', 'sluice'), esc_html((string) ($site->wakesSent ?? 0))],
            [__('Released', 'sluice'), esc_html((string) ($site->released ?? 0))],
            [__('Reclaimed: dead holder', 'sluice'), esc_html((string) ($site->reclaimedDead ?? 0))],
            [__('Reclaimed: expired', 'sluice'), esc_html((string) ($site->reclaimedExpired ?? 0))],
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
            return $this->empty(__('The event log is empty: no AI step has been decided on yet.', 'sluice'));
        }
        $head = [__('When (UTC)', 'sluice'), __('Event', 'sluice'), __('Action', 'sluice'), __('Job', 'sluice'), __('Flow step', 'sluice'), __('Provider', 'sluice'),
            __('Full key', 'sluice'), __('Limit / active', 'sluice'), __('Rescheduled for', 'sluice'), __('Attempt', 'sluice')];
        $rows = [];
        foreach ($events as $event) {
            $rows[] = [
                esc_html((string) ($event['created_at'] ?? '')),
                esc_html(trim((string) ($event['event'] ?? '') . ': ' . (string) ($event['reason'] ?? ''), ': ')),
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

    /**
     * The report's keys by name, the site key first.
     *
     * @return array<string, KeyStatus>
     */
    private function keyRows(): array
    {
        $rows = [];
        foreach ($this->report->keys as $key) {
            $rows[$key->status->key] = $key->status;
        }
        $site = $this->report->siteKey();
        uksort($rows, static fn (string $a, string $b): int => [$a !== $site, $a] <=> [$b !== $site, $b]);
        return $rows;
    }

    /** "site" or "provider:fake" for the blog's keys; host-wide keys keep their full name. */
    private function shortKey(string $key): string
    {
        $prefix = $this->report->keyPrefix;
        return $prefix !== '' && str_starts_with($key, $prefix) ? substr($key, strlen($prefix)) : $key;
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

    /** The peak, and since when it counts (the key's creation, its last reset or change of limit) where the store says. */
    private function peak(KeyStatus $status): string
    {
        if ($status->peakSince <= 0) {
            return esc_html((string) $status->peak);
        }
        $since = wp_date(get_option('time_format') ?: 'H:i', $status->peakSince);
        return esc_html((string) $status->peak) . ' <span class="sluice-since" title="' . esc_attr(sprintf(
            /* translators: %s: date and time */
            __('the highest number of slots held at once since %s (the key\'s creation, its last reset or its last change of limit)', 'sluice'),
            wp_date('Y-m-d H:i:s', $status->peakSince),
        )) . '">' . esc_html(sprintf(/* translators: %s: a time of day */ __('(since %s)', 'sluice'), $since)) . '</span>';
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
