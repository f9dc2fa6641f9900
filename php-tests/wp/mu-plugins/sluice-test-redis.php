<?php
/**
 * Plugin Name: Sluice test Redis (TEST ONLY)
 * Description: Points Sluice's Redis backend at the test bed's own Redis (tools/wp-stack starts it on SLUICE_REDIS_PORT), as an operator's wp-config.php would with SLUICE_REDIS. Never shipped.
 */

declare(strict_types=1);

defined('ABSPATH') || exit;

if (!defined('SLUICE_REDIS') && getenv('SLUICE_REDIS_PORT') !== false) {
    define('SLUICE_REDIS', ['host' => '127.0.0.1', 'port' => (int) getenv('SLUICE_REDIS_PORT')]);
}

// knobs['request_timeout'] = seconds: Sluice's provider request timeout (filter sluice_request_timeout), which is
// also the Redis backend's drain time after its store was emptied.
add_filter('sluice_request_timeout', static function ($timeout) {
    $knobs = get_option('sluice_test_knobs', []);
    return is_array($knobs) && isset($knobs['request_timeout']) ? (int) $knobs['request_timeout'] : $timeout;
});
