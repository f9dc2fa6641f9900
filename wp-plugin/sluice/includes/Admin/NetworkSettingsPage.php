<?php
/**
 * Network Admin > Sluice > Settings (manage_network_options): the network's
 * settings (Settings\NetworkSettings), shared by every blog of the network:
 * whether AI work is gated, the lease store and what a process does when
 * Redis is unreachable, how providers are protected (adaptive limit, circuit
 * breaker, backoff give-back, other AI calls' wait, mode limits, exempt
 * modes), the rate budgets (requests and tokens per minute, steps per
 * second), and the limits of host-wide provider keys (a blog's own provider
 * limit then only lowers that blog's own use of the provider).
 * Saved through edit.php?action=sluice_network_settings (POST, nonce,
 * capability), as WordPress's own network settings are, and checked as a
 * blog's settings are.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Backend\Capacity;
use SluiceWP\Settings\Config;
use SluiceWP\Settings\Field;
use SluiceWP\Settings\Fields;
use SluiceWP\Settings\NetworkSettings;
use SluiceWP\Settings\Sanitizer;

defined('ABSPATH') || exit;

final class NetworkSettingsPage
{
    public const SLUG = 'sluice-network-settings';
    public const ACTION = 'sluice_network_settings';

    /** @param \Closure(): ?Capacity $capacity the store in use, whose largest limit a limit may not exceed */
    public function __construct(private readonly Config $config, private readonly \Closure $capacity)
    {
    }

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
        echo '<div class="wrap"><h1>' . esc_html__('Sluice network settings', 'sluice') . '</h1>';
        if (isset($_GET['updated'])) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a notice only
            echo '<div class="notice notice-success is-dismissible"><p>' . esc_html__('Settings saved.', 'sluice') . '</p></div>';
        }
        echo '<p>' . esc_html__('These settings apply to every site of the network; a site\'s own settings page shows them read-only.', 'sluice') . '</p>';
        echo '<form method="post" action="' . esc_url(network_admin_url('edit.php?action=' . self::ACTION)) . '">';
        wp_nonce_field(self::ACTION);
        echo '<input type="hidden" name="' . esc_attr(NetworkSettings::OPTION . '[' . Sanitizer::FORM_MARKER . ']') . '" value="1">';
        echo '<table class="form-table" role="presentation">';
        $values = $this->config->effective();
        foreach (self::fields() as $field) {
            $id = 'sluice_network_' . $field->name;
            $title = $field->name === Fields::PROVIDER_LIMITS ? __('Host-wide provider limits', 'sluice') : $field->title;
            echo '<tr><th scope="row"><label for="' . esc_attr($id) . '">' . esc_html($title) . '</label></th><td>';
            $this->input($field, $id, $values[$field->name] ?? $field->default);
            echo '</td></tr>';
        }
        echo '</table>';
        submit_button();
        echo '</form></div>';
    }

    /** network_admin_edit_sluice_network_settings: stores the settings, or says what was wrong. */
    public function save(): void
    {
        if (!current_user_can(NetworkStatusPage::CAPABILITY)) {
            wp_die(esc_html__('Sorry, you are not allowed to do this.', 'sluice'), '', ['response' => 403]);
        }
        check_admin_referer(self::ACTION);
        $posted = wp_unslash($_POST[NetworkSettings::OPTION] ?? []); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- checked by NetworkSettings::update()
        $errors = NetworkSettings::update(is_array($posted) ? $posted : [], ($this->capacity)());
        if ($errors !== []) {
            wp_die(esc_html(implode(' ', $errors)), esc_html__('Sluice network settings', 'sluice'), ['response' => 400, 'back_link' => true]);
        }
        wp_safe_redirect(add_query_arg(['page' => self::SLUG, 'updated' => '1'], network_admin_url('admin.php')), 303);
        exit;
    }

    /** @return list<Field> the network's settings that its page shows */
    private static function fields(): array
    {
        $fields = array_intersect_key(Fields::all(), array_flip(NetworkSettings::FIELDS));
        return array_values(array_filter($fields, static fn (Field $field): bool => $field->onSettingsPage));
    }

    private function input(Field $field, string $id, mixed $value): void
    {
        $name = NetworkSettings::OPTION . '[' . $field->name . ']';
        $help = $field->help;
        if ($field->type === Field::BOOL) {
            printf('<label><input type="checkbox" id="%s" name="%s" value="1"%s> %s</label>',
                esc_attr($id), esc_attr($name), checked((bool) $value, true, false), esc_html($field->title));
        } elseif ($field->type === Field::CHOICE) {
            echo '<select id="' . esc_attr($id) . '" name="' . esc_attr($name) . '">';
            foreach ($field->choices as $choice => $label) {
                printf('<option value="%s"%s>%s</option>', esc_attr($choice), selected((string) $value, $choice, false), esc_html($label));
            }
            echo '</select>';
        } elseif ($field->type === Field::INT) {
            printf('<input type="number" id="%s" name="%s" value="%s" min="%d" max="%d" step="1" class="small-text">%s',
                esc_attr($id), esc_attr($name), esc_attr(is_scalar($value) ? (string) $value : ''), $field->min, $field->max, esc_html($field->unit));
        } elseif ($field->type === Field::HOOKS) {
            $lines = is_array($value) ? array_map('strval', $value) : [];
            echo '<textarea id="' . esc_attr($id) . '" name="' . esc_attr($name) . '" rows="3" cols="40" class="code">' . esc_textarea(implode("\n", $lines)) . '</textarea>';
        } else {
            $lines = [];
            $limits = $field->name === Fields::PROVIDER_LIMITS ? NetworkSettings::providerLimits() : (is_array($value) ? $value : []);
            foreach ($limits as $key => $limit) {
                $lines[] = $key . ' = ' . (is_scalar($limit) ? (string) $limit : '');
            }
            echo '<textarea id="' . esc_attr($id) . '" name="' . esc_attr($name) . '" rows="4" cols="40" class="code">' . esc_textarea(implode("\n", $lines)) . '</textarea>';
            if ($field->name === Fields::PROVIDER_LIMITS) {
                $help = __('Requests at once to a provider whose key is shared by every site (filter sluice_provider_key_host_wide), one per line: provider = limit (0 = none). A site\'s own provider limit can only lower its own use of it.', 'sluice');
            }
        }
        echo '<p class="description">' . esc_html($help) . '</p>';
    }
}
