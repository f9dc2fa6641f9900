<?php
/**
 * For `wp --require=<this file> action-scheduler ...` in the Action Scheduler conformance suite: WP-CLI loads --require files
 * before WordPress, so the suite's runner fixtures (runner-fixtures.php: event log, knobs, callbacks) are added
 * once WordPress has loaded, before the command runs. Test-only.
 */

declare(strict_types=1);

WP_CLI::add_hook('after_wp_load', static function (): void {
    require dirname(__DIR__) . '/runner-fixtures.php';
});
