<?php
/**
 * The status page's health, escaped here: healthy, degraded or ungated with
 * each problem and its fix (Status\Health, as the admin notice, `wp sluice
 * status` and REST show them), which store each kind of process uses or why
 * it cannot, the store backend "auto" chose for the site, and the actions
 * that ran ungated because the store failed.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Status\Health;
use SluiceWP\Status\SiteReport;

defined('ABSPATH') || exit;

final class HealthSection
{
    public function __construct(private readonly SiteReport $report)
    {
    }

    /** The health fact's value: the state, then each problem with its fix. */
    public function state(): string
    {
        $health = $this->report->health;
        $label = match ($health->state) {
            Health::HEALTHY => __('healthy', 'sluice'),
            Health::UNGATED => __('ungated: AI work of this process runs without Sluice\'s limit', 'sluice'),
            default => __('degraded', 'sluice'),
        };
        $html = '<span class="' . ($health->state === Health::HEALTHY ? 'sluice-ok' : 'sluice-bad') . '">' . esc_html($label) . '</span>';
        if ($health->problems === []) {
            return $html;
        }
        $html .= '<ul class="sluice-problems">';
        foreach ($health->problems as $problem) {
            $html .= '<li class="sluice-problem-' . esc_attr($problem->code) . '">' . esc_html($problem->message);
            if ($problem->fix !== '') {
                $html .= '<br>' . esc_html__('Fix:', 'sluice') . '<pre class="sluice-fix">' . esc_html($problem->fix) . '</pre>';
            }
            $html .= '</li>';
        }
        return $html . '</ul>';
    }

    /** Which store each kind of process uses, or why it cannot ('' before any recorded). */
    public function processes(): string
    {
        $rows = [];
        foreach ($this->report->processes as $process) {
            $rows[] = '<li>' . esc_html(sprintf(
                /* translators: 1: a kind of process and its user, 2: the store it uses or why it cannot, 3: how long ago */
                __('%1$s: %2$s (%3$s ago)', 'sluice'),
                $process->describe(),
                $process->store ?? sprintf(
                    /* translators: %s: why the process cannot use the store */
                    __('cannot use the store: %s', 'sluice'),
                    (string) $process->error,
                ),
                human_time_diff($process->at, time()),
            )) . '</li>';
        }
        return $rows === [] ? '' : '<ul class="sluice-processes">' . implode('', $rows) . '</ul>';
    }

    /** The store "auto" chose once for the site, in words ('' for another setting). */
    public function siteStore(): string
    {
        return $this->report->siteStore !== null ? esc_html($this->report->siteStore->describe()) : '';
    }

    /** The actions that ran ungated because the store failed ('' when none). */
    public function ungated(): string
    {
        $ungated = $this->report->ungated;
        if ($ungated->count === 0) {
            return '';
        }
        return '<span class="' . ($ungated->recent() ? 'sluice-bad' : '') . '">' . esc_html(sprintf(
            /* translators: 1: how many actions, 2: when the last one ran (UTC), 3: the last error */
            __('%1$d (the last at %2$s UTC: %3$s)', 'sluice'),
            $ungated->count,
            gmdate('Y-m-d H:i:s', $ungated->lastAt),
            $ungated->lastError,
        )) . '</span>';
    }
}
