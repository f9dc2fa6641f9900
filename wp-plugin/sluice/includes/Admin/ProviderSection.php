<?php
/**
 * The status page's providers section, escaped here: each protected
 * provider's limit (the ceiling) and the adaptive limit in force, its last
 * congestion signal and when, and its circuit breaker's state, why it opened
 * and when the next probe may go.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Provider\ProviderReport;
use SluiceWP\Status\SiteReport;

defined('ABSPATH') || exit;

final class ProviderSection
{
    public function __construct(private readonly SiteReport $report)
    {
    }

    public function html(): string
    {
        $providers = [];
        foreach ($this->report->keys as $key) {
            if ($key->provider !== null) {
                $providers[] = $key->provider;
            }
        }
        if ($providers === []) {
            return '<p class="sluice-empty">' . esc_html__('No protected provider yet: a provider with a provider limit gets an adaptive limit and a circuit breaker once its first AI step runs.', 'sluice') . '</p>';
        }
        $head = [__('Provider', 'sluice'), __('Limit (ceiling)', 'sluice'), __('In force', 'sluice'), __('Last signal', 'sluice'),
            __('Circuit', 'sluice'), __('Next probe', 'sluice'), __('Opened', 'sluice')];
        $html = '<table class="widefat striped sluice-table sluice-providers"><thead><tr>';
        foreach ($head as $cell) {
            $html .= '<th scope="col">' . esc_html($cell) . '</th>';
        }
        $html .= '</tr></thead><tbody>';
        foreach ($providers as $p) {
            $html .= '<tr>' . implode('', array_map(static fn (string $cell): string => '<td>' . $cell . '</td>', $this->cells($p))) . '</tr>';
        }
        return $html . '</tbody></table>';
    }

    /** @return list<string> escaped cells */
    private function cells(ProviderReport $p): array
    {
        if ($p->error !== null) {
            return [esc_html($p->provider), esc_html((string) $p->ceiling), '<span class="sluice-bad">' . esc_html(sprintf(
                /* translators: %s: the store's error */
                __('state unreadable (%s): the configured limit applies', 'sluice'),
                $p->error,
            )) . '</span>', '', '', '', ''];
        }
        $inForce = $p->adaptive
            ? '<strong>' . esc_html((string) $p->effectiveLimit) . '</strong>'
            : esc_html((string) $p->effectiveLimit) . ' <span class="description">' . esc_html__('(fixed)', 'sluice') . '</span>';
        $signal = $p->lastSignal === null ? '&mdash;' : esc_html(sprintf(
            /* translators: 1: signal (timeout, 429, 503, ...), 2: how long ago */
            __('%1$s, %2$s ago', 'sluice'),
            $p->lastSignal,
            human_time_diff((int) $p->lastSignalAt, time()),
        ));
        $circuit = match (true) {
            !$p->breaker => esc_html__('off', 'sluice'),
            $p->circuit === 'closed' => '<span class="sluice-ok">' . esc_html__('closed', 'sluice') . '</span>',
            $p->circuit === 'half_open' => '<span class="sluice-bad">' . esc_html__('half-open: one probe goes through', 'sluice') . '</span>',
            default => '<span class="sluice-bad">' . esc_html(sprintf(
                /* translators: %s: the failure that opened it */
                __('open (%s): no call reaches the provider', 'sluice'),
                (string) $p->circuitReason,
            )) . '</span>',
        };
        $probe = $p->nextProbeAt === null ? '&mdash;' : esc_html(gmdate('H:i:s', (int) $p->nextProbeAt) . ' UTC');
        $opened = esc_html(sprintf(
            /* translators: 1: times opened, 2: cool-downs started */
            _n('%1$d time (%2$d cool-downs)', '%1$d times (%2$d cool-downs)', $p->opens, 'sluice'),
            $p->opens,
            $p->cooldowns,
        ));
        return [esc_html($p->provider), esc_html((string) $p->ceiling), $inForce, $signal, $circuit, $probe, $opened];
    }
}
