<?php
/**
 * Plugin Name: Sluice tests: which runners the site has (TEST ONLY)
 * Description: With knobs['disable_wp_cron'] (option sluice_test_knobs) every process of the test site defines DISABLE_WP_CRON, as the wp-config.php of a site whose only queue runners are system cron jobs running `wp action-scheduler run`; so no request and no WP-CLI run spawns WP-Cron. With knobs['no_async_runner'] an admin page view starts no async request runner (a queue run through the test bed's PHP-FPM), for tests that choose which processes run the queue. Never shipped.
 */

declare(strict_types=1);

$sluice_test_runner_knobs = get_option('sluice_test_knobs', []);
if (is_array($sluice_test_runner_knobs) && !empty($sluice_test_runner_knobs['disable_wp_cron']) && !defined('DISABLE_WP_CRON')) {
    define('DISABLE_WP_CRON', true);
}
if (is_array($sluice_test_runner_knobs) && !empty($sluice_test_runner_knobs['no_async_runner'])) {
    add_filter('action_scheduler_allow_async_request_runner', '__return_false');
}
unset($sluice_test_runner_knobs);
