<?php
/**
 * The settings over REST, for administrators (capability manage_options):
 *   GET  /wp-json/sluice/v1/settings   every setting in effect (as `wp sluice config list`)
 *   POST /wp-json/sluice/v1/settings   {name: value, ...}: stores them after the settings page's
 *                                      own checks (Settings\Sanitizer); a bad value (a limit above
 *                                      what the store holds per key, say) is a 400 naming it, and
 *                                      nothing is stored; on a network the network's settings
 *                                      (enabled, backend, redis_fallback, waiting_line) are a 400
 *                                      saying where a network administrator changes them
 */

declare(strict_types=1);

namespace SluiceWP\Rest;

use SluiceWP\Backend\Capacity;
use SluiceWP\Settings\Config;
use SluiceWP\Settings\Fields;
use SluiceWP\Settings\Sanitizer;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined('ABSPATH') || exit;

final class SettingsRoutes
{
    /** @param \Closure(): ?Capacity $capacity the store in use */
    public function __construct(
        private readonly Config $config,
        private readonly \Closure $capacity,
    ) {
    }

    public function init(): void
    {
        add_action('rest_api_init', [$this, 'register']);
    }

    public function register(): void
    {
        register_rest_route(StatusRoutes::NAMESPACE, '/settings', [
            [
                'methods' => WP_REST_Server::READABLE,
                'callback' => fn (): WP_REST_Response => new WP_REST_Response($this->config->effective(), 200),
                'permission_callback' => [StatusRoutes::class, 'allowed'],
            ],
            [
                'methods' => WP_REST_Server::EDITABLE,
                'callback' => [$this, 'update'],
                'permission_callback' => [StatusRoutes::class, 'allowed'],
            ],
        ]);
    }

    /** @param WP_REST_Request<array<string, mixed>> $request */
    public function update(WP_REST_Request $request): WP_REST_Response|WP_Error
    {
        $input = $request->get_json_params();
        if (!is_array($input) || $input === []) {
            return new WP_Error('sluice_no_settings', __('Send the settings to change as a JSON object: {"site_limit": 3}.', 'sluice'), ['status' => 400]);
        }
        $unknown = array_diff(array_keys($input), Fields::names());
        if ($unknown !== []) {
            return new WP_Error('sluice_unknown_setting', sprintf(
                /* translators: 1: the unknown names, 2: the known names */
                __('Unknown settings: %1$s. Settings: %2$s.', 'sluice'),
                implode(', ', $unknown),
                implode(', ', Fields::names()),
            ), ['status' => 400]);
        }
        $network = array_values(array_filter(array_map(static fn (int|string $name): ?string => Fields::networkRefusal((string) $name), array_keys($input))));
        if ($network !== []) {
            return new WP_Error('sluice_network_setting', implode(' ', $network), ['status' => 400]);
        }
        if (!function_exists('add_settings_error')) {
            require_once ABSPATH . 'wp-admin/includes/template.php'; // the sanitizer reports through it
        }
        $sanitizer = new Sanitizer(($this->capacity)());
        $settings = $sanitizer->sanitize($input + Fields::stored());
        if ($sanitizer->errors() !== []) {
            return new WP_Error('sluice_invalid_setting', implode(' ', array_column($sanitizer->errors(), 'message')), ['status' => 400, 'errors' => $sanitizer->errors()]);
        }
        update_option(Fields::OPTION, $settings);
        return new WP_REST_Response($this->config->effective(), 200);
    }
}
