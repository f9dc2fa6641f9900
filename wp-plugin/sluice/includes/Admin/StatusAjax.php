<?php
/**
 * The live refresh of the status page (admin-ajax action `sluice_status`,
 * GET): manage_options and the page's nonce, then the sections' HTML and the
 * chart's series as JSON.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

defined('ABSPATH') || exit;

final class StatusAjax
{
    public const ACTION = 'sluice_status';
    public const NONCE = 'sluice_status';

    public function __construct(private readonly StatusSource $source)
    {
    }

    public function handle(): void
    {
        if (!current_user_can(StatusPage::CAPABILITY)) {
            wp_send_json_error(['message' => __('Sorry, you are not allowed to do this.', 'sluice')], 403);
        }
        if (check_ajax_referer(self::NONCE, '_ajax_nonce', false) === false) {
            wp_send_json_error(['message' => __('The link has expired: reload the page.', 'sluice')], 403);
        }
        nocache_headers();
        wp_send_json_success([
            'sections' => (new StatusSections($this->source->status()->report(), $this->source))->all(),
            'chart' => $this->source->chart(),
            'at' => gmdate('H:i:s') . ' UTC',
        ]);
    }
}
