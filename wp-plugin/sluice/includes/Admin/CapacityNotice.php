<?php
/**
 * The admin notice of the capacity alerts active now (as the last WP-Cron
 * minute found them, Capacity\CapacityWatch): a blog's administrators
 * (manage_options) see its own keys' alerts, and on a single site the
 * host-wide keys' too; network administrators (manage_network_options) see
 * the host-wide keys' alerts in Network Admin. Each in words, escaped, with
 * a link to the status page's capacity section on a blog.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Capacity\AlertText;
use SluiceWP\Capacity\CapacityWatch;

defined('ABSPATH') || exit;

final class CapacityNotice
{
    /** admin_notices and network_admin_notices. */
    public function render(): void
    {
        $network = is_network_admin();
        if (!current_user_can($network ? 'manage_network_options' : StatusPage::CAPABILITY)) {
            return;
        }
        $alerts = $network ? CapacityWatch::stored(true) : CapacityWatch::stored(false) + (is_multisite() ? [] : CapacityWatch::stored(true));
        foreach ($alerts as $alert) {
            printf(
                '<div class="notice notice-warning sluice-capacity-alert" data-sluice-alert="%s"><p><strong>%s</strong> %s%s</p></div>',
                esc_attr($alert->id()),
                esc_html__('Sluice capacity:', 'sluice'),
                esc_html(AlertText::of($alert)),
                $network ? '' : ' <a href="' . esc_url(StatusPage::url() . '#sluice-capacity') . '">' . esc_html__('See the capacity view', 'sluice') . '</a>',
            );
        }
    }
}
