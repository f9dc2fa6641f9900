<?php
/**
 * The status page's rate budgets section, escaped here: each bucket of the
 * blog's providers and the host-wide ones (requests or tokens per minute,
 * the host's AI steps per second) with the most a minute may take, whose
 * budget it is, what is left and until when the provider's pause holds it.
 * They are budgets, not keys of slots, so the keys section leaves them out.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Backend\BudgetStatus;
use SluiceWP\Status\SiteReport;

defined('ABSPATH') || exit;

final class BudgetSection
{
    public function __construct(private readonly SiteReport $report)
    {
    }

    public function html(): string
    {
        if ($this->report->budgets === []) {
            return '<p class="sluice-empty">' . esc_html__('No rate budget: set rpm_limits, tpm_limits or qps_limit (native backend), or call a provider that sends rate-limit headers.', 'sluice') . '</p>';
        }
        $head = [__('Budget', 'sluice'), __('Per minute at most', 'sluice'), __('Left now', 'sluice'), __('Paused until', 'sluice'), __('Refused', 'sluice')];
        $html = '<table class="widefat striped sluice-table sluice-budgets"><thead><tr>';
        foreach ($head as $cell) {
            $html .= '<th scope="col">' . esc_html($cell) . '</th>';
        }
        $html .= '</tr></thead><tbody>';
        foreach ($this->report->budgets as $budget) {
            $html .= '<tr><td>' . implode('</td><td>', $this->cells($budget)) . '</td></tr>';
        }
        return $html . '</tbody></table>';
    }

    /** @return list<string> escaped cells */
    private function cells(BudgetStatus $b): array
    {
        $prefix = $this->report->keyPrefix;
        $name = str_starts_with($b->key, $prefix) ? substr($b->key, strlen($prefix)) : $b->key;
        $source = match ($b->source) {
            'set' => __('(setting)', 'sluice'),
            'provider' => __('(the provider\'s headers)', 'sluice'),
            default => '',
        };
        $perMinute = $b->perMinute > 0 ? esc_html(number_format_i18n($b->perMinute, 1)) . ' <span class="description">' . esc_html($source) . '</span>' : '&mdash;';
        $paused = $b->pausedUntil > 0 ? '<span class="sluice-bad">' . esc_html(gmdate('H:i:s', $b->pausedUntil) . ' UTC') . '</span>' : '&mdash;';
        return ['<code title="' . esc_attr($b->key) . '">' . esc_html($name) . '</code>', $perMinute, esc_html(number_format_i18n($b->level, 1)), $paused, esc_html((string) $b->refusals)];
    }
}
