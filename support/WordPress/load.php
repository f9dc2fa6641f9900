<?php
// Loads the test bed's WordPress (the root in SLUICE_WP_DIR: tools/wp-stack's
// site) into this process, with the support library. Required at global
// scope, as WordPress expects, by the plugin's suites (php-tests/wp), every
// queue runner and child process they start, the burn-in and the benchmarks.
declare(strict_types=1);

require_once dirname(__DIR__) . '/autoload.php';

if (!is_file(getenv('SLUICE_WP_DIR') . '/wp-load.php')) {
    fwrite(STDERR, "support/WordPress/load.php: SLUICE_WP_DIR must name the test bed's WordPress root (tools/wp-stack up sets it; tools/run-plugin-tests and demo/burn-in.sh run that)\n");
    exit(2);
}
$_SERVER['HTTP_HOST'] = '127.0.0.1';
require getenv('SLUICE_WP_DIR') . '/wp-load.php';
