<?php
/**
 * The status page's capacity section, escaped here: the alerts active now,
 * a small chart of each key's utilisation over the 1, 5 and 15 minute
 * windows (inline SVG, in the look of the page's per-minute chart, built
 * here so the live refresh swaps it with the section), the view's numbers
 * per key and window (Capacity\CapacityReport from StatusSource), and a
 * what-if form: the wait, headroom and drain time at another limit (a GET
 * of the page with sluice_capacity_limit, which the live refresh keeps).
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Capacity\AlertText;
use SluiceWP\Capacity\CapacityModel;
use SluiceWP\Capacity\CapacityReport;
use SluiceWP\Capacity\KeyCapacity;

defined('ABSPATH') || exit;

final class CapacitySection
{
    public const WHAT_IF_PARAM = 'sluice_capacity_limit';
    private const BAR_COLORS = [1 => '#2271b1', 5 => '#72aee6', 15 => '#c5d9ed'];

    public function __construct(
        private readonly ?CapacityReport $report,
        private readonly ?CapacityReport $whatIf = null,
        private readonly string $keyPrefix = '',
    ) {
    }

    public function html(): string
    {
        $report = $this->report;
        if ($report === null) {
            return '';
        }
        if ($report->unavailable !== null) {
            return '<p class="sluice-empty">' . esc_html($report->unavailable) . '</p>';
        }
        if ($report->rows === []) {
            return '<p class="sluice-empty">' . esc_html__('No AI step counted yet: the view fills as steps arrive and finish.', 'sluice') . '</p>' . $this->whatIfForm();
        }
        $html = '';
        foreach ($report->alerts as $alert) {
            $html .= '<p class="sluice-bad sluice-capacity-alert">' . esc_html(AlertText::of($alert)) . '</p>';
        }
        $html .= $this->chart($report);
        $html .= $this->table($report->rows, false);
        $html .= $this->whatIfForm();
        if ($this->whatIf !== null && $this->whatIf->whatIfLimit !== null) {
            $html .= '<h3>' . esc_html(sprintf(
                /* translators: %d: a limit */
                __('What-if: each key at limit %d', 'sluice'),
                $this->whatIf->whatIfLimit,
            )) . '</h3>';
            $html .= $this->table($this->whatIf->rows, true);
        }
        return $html;
    }

    /**
     * @param list<KeyCapacity> $rows
     */
    private function table(array $rows, bool $whatIf): string
    {
        $head = [__('Key', 'sluice'), __('Window', 'sluice'), __('New steps / s', 'sluice'), __('Mean hold (cv)', 'sluice'),
            $whatIf ? __('Limit (what-if)', 'sluice') : __('Limit', 'sluice'), __('Utilisation (rho)', 'sluice'), __('Waiting', 'sluice'),
            __('Wait: Little / M/G/c / measured', 'sluice'), __('Headroom / s', 'sluice'), __('Drain', 'sluice'), __('Requests per step', 'sluice')];
        $html = '<table class="widefat striped sluice-table sluice-capacity' . ($whatIf ? ' sluice-capacity-what-if' : '') . '"><thead><tr>';
        foreach ($head as $cell) {
            $html .= '<th scope="col">' . esc_html($cell) . '</th>';
        }
        $html .= '</tr></thead><tbody>';
        foreach ($rows as $row) {
            $unbounded = $row->rho !== null && $row->rho >= 1.0; // null wait and drain: they grow without end, not unknown
            $cells = [
                '<code title="' . esc_attr($row->key) . '">' . esc_html($this->shortKey($row->key)) . '</code>',
                esc_html(sprintf(/* translators: %d: minutes */ __('%d min', 'sluice'), $row->windowMin)),
                $this->number($row->arrivalRate, 3),
                $row->holdMeanS === null ? '&mdash;' : $this->seconds($row->holdMeanS) . ' (' . $this->number($row->holdCv, 2) . ')',
                esc_html((string) $row->limit),
                $row->rho !== null && $row->rho > CapacityModel::TARGET_RHO ? '<span class="sluice-bad">' . $this->number($row->rho, 2) . '</span>' : $this->number($row->rho, 2),
                esc_html((string) $row->lineLength),
                $this->seconds($row->waitLittleS) . ' / ' . $this->seconds($row->waitMgcS, $unbounded) . ' / ' . $this->seconds($row->waitMeasuredS),
                $this->number($row->headroomPerS, 3),
                $this->seconds($row->drainS, $unbounded),
                $this->number($row->retryAmplification, 2),
            ];
            $html .= '<tr data-sluice-key="' . esc_attr($row->key) . '" data-sluice-window="' . esc_attr((string) $row->windowMin) . '"><td>' . implode('</td><td>', $cells) . '</td></tr>';
        }
        return $html . '</tbody></table>';
    }

    /** Horizontal bars of rho per key (one per window), with the 0.8 and 1.0 marks. */
    private function chart(CapacityReport $report): string
    {
        $byKey = [];
        foreach ($report->rows as $row) {
            $byKey[$row->key][$row->windowMin] = $row->rho;
        }
        $max = 1.2;
        foreach ($byKey as $rhos) {
            $max = max($max, ...array_map(static fn (?float $r): float => $r ?? 0.0, array_values($rhos)));
        }
        $max = min($max, 5.0); // beyond 5x the limit the bar is cut (the table has the number)
        [$w, $left, $right, $barH, $gap] = [900, 180, 16, 10, 10];
        $rowH = $barH * count(CapacityModel::WINDOWS) + $gap;
        $h = 20 + $rowH * count($byKey) + 28;
        $x = static fn (float $v): float => $left + ($w - $left - $right) * min($v, $max) / $max;
        $svg = '<svg viewBox="0 0 ' . $w . ' ' . $h . '" role="img" class="sluice-chart-svg sluice-capacity-chart" preserveAspectRatio="xMidYMid meet">';
        $svg .= '<title>' . esc_html__('Utilisation (rho) per key over 1, 5 and 15 minutes', 'sluice') . '</title>';
        foreach ([0.0, CapacityModel::TARGET_RHO, 1.0] as $mark) {
            $svg .= sprintf('<line x1="%.1f" x2="%.1f" y1="14" y2="%d" class="sluice-grid-line"%s></line>', $x($mark), $x($mark), $h - 26, $mark > 0.0 && $mark < 1.0 ? ' stroke-dasharray="4 3"' : '');
            $svg .= sprintf('<text x="%.1f" y="12" text-anchor="middle" class="sluice-axis">%s</text>', $x($mark), esc_html(number_format_i18n($mark, 1)));
        }
        $y = 20;
        foreach ($byKey as $key => $rhos) {
            $svg .= sprintf('<text x="%d" y="%d" text-anchor="end" class="sluice-axis">%s</text>', $left - 6, $y + (int) ($rowH / 2), esc_html($this->shortKey((string) $key)));
            foreach (CapacityModel::WINDOWS as $i => $window) {
                $rho = $rhos[$window] ?? null;
                if ($rho !== null && $rho > 0.0) {
                    $svg .= sprintf('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s</title></rect>', $left, $y + $i * $barH, $x($rho) - $left, $barH - 1,
                        self::BAR_COLORS[$window], esc_html(sprintf(/* translators: 1: minutes, 2: utilisation */ __('%1$d min: rho %2$s', 'sluice'), $window, number_format_i18n($rho, 2))));
                }
            }
            $y += $rowH;
        }
        $lx = $left;
        foreach (CapacityModel::WINDOWS as $window) {
            $label = sprintf(/* translators: %d: minutes */ __('last %d min', 'sluice'), $window);
            $svg .= sprintf('<rect x="%d" y="%d" width="12" height="12" fill="%s"></rect><text x="%d" y="%d" class="sluice-legend">%s</text>', $lx, $h - 22, self::BAR_COLORS[$window], $lx + 16, $h - 12, esc_html($label));
            $lx += 40 + 7 * strlen($label);
        }
        return '<div class="sluice-chart">' . $svg . '</svg></div>';
    }

    private function whatIfForm(): string
    {
        $value = $this->whatIf?->whatIfLimit;
        return '<form method="get" class="sluice-capacity-what-if-form" action="' . esc_url(admin_url('admin.php')) . '">'
            . '<input type="hidden" name="page" value="' . esc_attr(StatusPage::SLUG) . '">'
            . '<label>' . esc_html__('What-if at limit', 'sluice') . ' <input type="number" min="1" max="999999" name="' . esc_attr(self::WHAT_IF_PARAM) . '" value="' . esc_attr($value !== null ? (string) $value : '') . '" class="small-text"></label> '
            . '<button type="submit" class="button button-small">' . esc_html__('Predict', 'sluice') . '</button>'
            . '</form>';
    }

    private function shortKey(string $key): string
    {
        return $this->keyPrefix !== '' && str_starts_with($key, $this->keyPrefix) ? substr($key, strlen($this->keyPrefix)) : $key;
    }

    private function number(?float $value, int $decimals): string
    {
        return $value === null ? '&mdash;' : esc_html(number_format_i18n($value, $decimals));
    }

    /** Seconds in words, escaped; null as a dash (not known yet), or as infinity where the line grows without end. */
    private function seconds(?float $s, bool $unbounded = false): string
    {
        if ($s === null) {
            return $unbounded ? '<span class="sluice-bad" title="' . esc_attr__('The work needs more than the limit serves: the line grows as long as it comes.', 'sluice') . '">&infin;</span>' : '&mdash;';
        }
        if ($s < 120) {
            /* translators: %s: seconds with one decimal */
            return esc_html(sprintf(__('%s s', 'sluice'), number_format_i18n($s, 1)));
        }
        /* translators: %s: minutes with one decimal */
        return esc_html(sprintf(__('%s min', 'sluice'), number_format_i18n($s / 60, 1)));
    }
}
