<?php
/**
 * Network Admin > Sluice > Settings (manage_network_options): the limits of
 * host-wide provider keys (Settings\NetworkSettings), shared by every blog of
 * the network. A blog's own provider limit then only lowers that blog's own
 * use of the provider. Saved through edit.php?action=sluice_network_settings
 * (POST, nonce, capability), as WordPress's own network settings are.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Settings\NetworkSettings;

defined('ABSPATH') || exit;

final class NetworkSettingsPage
{
    public const SLUG = 'sluice-network-settings';
    public const ACTION = 'sluice_network_settings';
    private const FIELD = 'sluice_host_wide_provider_limits';

    public function addMenu(): void
    {
        add_submenu_page(NetworkStatusPage::SLUG, __('Sluice network settings', 'sluice'), __('Settings', 'sluice'),
            NetworkStatusPage::CAPABILITY, self::SLUG, [$this, 'render']);
    }

    public function render(): void
    {
        if (!current_user_can(NetworkStatusPage::CAPABILITY)) {
            wp_die(esc_html__('Sorry, you are not allowed to access this page.', 'sluice'), '', ['response' => 403]);
        }
        $lines = [];
        foreach (NetworkSettings::providerLimits() as $provider => $limit) {
            $lines[] = $provider . ' = ' . $limit;
        }
        echo '<div class="wrap"><h1>' . esc_html__('Sluice network settings', 'sluice') . '</h1>';
        if (isset($_GET['updated'])) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a notice only
            echo '<div class="notice notice-success is-dismissible"><p>' . esc_html__('Settings saved.', 'sluice') . '</p></div>';
        }
        echo '<form method="post" action="' . esc_url(network_admin_url('edit.php?action=' . self::ACTION)) . '">';
        wp_nonce_field(self::ACTION);
        echo '<table class="form-table" role="presentation"><tr><th scope="row"><label for="' . esc_attr(self::FIELD) . '">'
            . esc_html__('Host-wide provider limits', 'sluice') . '</label></th><td>';
        echo '<textarea id="' . esc_attr(self::FIELD) . '" name="' . esc_attr(self::FIELD) . '" rows="4" cols="40" class="code">'
            . esc_textarea(implode("\n", $lines)) . '</textarea>';
        echo '<p class="description">' . esc_html__('Requests at once to a provider whose key is shared by every site (filter sluice_provider_key_host_wide), one per line: provider = limit (0 = none). A site\'s own provider limit can only lower its own use of it.', 'sluice') . '</p>';
        echo '</td></tr></table>';
        submit_button();
        echo '</form></div>';
    }

    /** network_admin_edit_sluice_network_settings: stores the limits, or says what was wrong. */
    public function save(): void
    {
        if (!current_user_can(NetworkStatusPage::CAPABILITY)) {
            wp_die(esc_html__('Sorry, you are not allowed to do this.', 'sluice'), '', ['response' => 403]);
        }
        check_admin_referer(self::ACTION);
        $errors = NetworkSettings::setProviderLimits(sanitize_textarea_field(wp_unslash((string) ($_POST[self::FIELD] ?? ''))));
        if ($errors !== []) {
            wp_die(esc_html(implode(' ', $errors)), esc_html__('Sluice network settings', 'sluice'), ['response' => 400, 'back_link' => true]);
        }
        wp_safe_redirect(add_query_arg(['page' => self::SLUG, 'updated' => '1'], network_admin_url('admin.php')), 303);
        exit;
    }
}
