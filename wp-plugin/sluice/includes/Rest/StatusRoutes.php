<?php
/**
 * The REST routes, for administrators (capability manage_options):
 *   GET  /wp-json/sluice/v1/status   the blog's report (as `wp sluice status --format=json`)
 *   POST /wp-json/sluice/v1/release  {token}: releases one of the blog's leases
 */

declare(strict_types=1);

namespace SluiceWP\Rest;

use SluiceWP\Status\SiteStatus;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined('ABSPATH') || exit;

final class StatusRoutes
{
    public const NAMESPACE = 'sluice/v1';

    public function __construct(private readonly SiteStatus $status)
    {
    }

    public function init(): void
    {
        add_action('rest_api_init', [$this, 'register']);
    }

    public function register(): void
    {
        register_rest_route(self::NAMESPACE, '/status', [
            'methods' => WP_REST_Server::READABLE,
            'callback' => [$this, 'status'],
            'permission_callback' => [self::class, 'allowed'],
        ]);
        register_rest_route(self::NAMESPACE, '/release', [
            'methods' => WP_REST_Server::CREATABLE,
            'callback' => [$this, 'release'],
            'permission_callback' => [self::class, 'allowed'],
            'args' => [
                'token' => [
                    'description' => __('The lease\'s token, as the status shows it.', 'sluice'),
                    'type' => 'string',
                    'required' => true,
                    'pattern' => '^[0-9A-Za-z_-]{1,128}$',
                ],
            ],
        ]);
    }

    /** Anonymous callers get 401, logged-in users without the capability 403 (WordPress picks the code). */
    public static function allowed(): bool
    {
        return current_user_can('manage_options');
    }

    public function status(): WP_REST_Response
    {
        return new WP_REST_Response($this->status->report()->toArray(), 200);
    }

    /** @param WP_REST_Request<array<string, mixed>> $request */
    public function release(WP_REST_Request $request): WP_REST_Response|WP_Error
    {
        $token = (string) $request->get_param('token');
        if (!$this->status->release($token)) {
            return new WP_Error(
                'sluice_not_held',
                __('No lease with this token is held on this site (already released, reclaimed or reset, or another site\'s).', 'sluice'),
                ['status' => 404],
            );
        }
        return new WP_REST_Response(['released' => true, 'token' => $token], 200);
    }
}
