<?php
/**
 * REST `GET /wp-json/sluice/v1/capacity` (capability manage_options, as the
 * status routes): the blog's capacity view (Capacity\CapacityReport) as JSON,
 * one row per key and window with the fields of `wp sluice capacity
 * --format=json`, the alerts active now and each key's limit in force;
 * `limit` asks what-if at another limit, `window` for one window only. 503
 * with the reason when there is no view (no usable store, one that keeps no
 * counters).
 */

declare(strict_types=1);

namespace SluiceWP\Rest;

use SluiceWP\Capacity\CapacityCollector;
use SluiceWP\Capacity\CapacityModel;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined('ABSPATH') || exit;

final class CapacityRoutes
{
    public function __construct(private readonly CapacityCollector $collector)
    {
    }

    public function init(): void
    {
        add_action('rest_api_init', [$this, 'register']);
    }

    public function register(): void
    {
        register_rest_route(StatusRoutes::NAMESPACE, '/capacity', [
            'methods' => WP_REST_Server::READABLE,
            'callback' => [$this, 'capacity'],
            'permission_callback' => [StatusRoutes::class, 'allowed'],
            'args' => [
                'limit' => [
                    'description' => __('What-if: every key\'s utilisation, wait, headroom and drain time at this limit.', 'sluice'),
                    'type' => 'integer',
                    'minimum' => 1,
                    'maximum' => 999999,
                ],
                'window' => [
                    'description' => __('One window only, in minutes (default: 1, 5 and 15).', 'sluice'),
                    'type' => 'integer',
                    'enum' => CapacityModel::WINDOWS,
                ],
            ],
        ]);
    }

    /** @param WP_REST_Request<array<string, mixed>> $request */
    public function capacity(WP_REST_Request $request): WP_REST_Response|WP_Error
    {
        $limit = $request->get_param('limit');
        $window = $request->get_param('window');
        $report = $this->collector->collect(
            is_numeric($limit) ? (int) $limit : null,
            is_numeric($window) ? [(int) $window] : CapacityModel::WINDOWS,
        );
        if ($report->unavailable !== null) {
            return new WP_Error('sluice_no_capacity_view', $report->unavailable, ['status' => 503]);
        }
        return new WP_REST_Response($report->toArray(), 200);
    }
}
