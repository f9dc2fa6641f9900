<?php
// Loads the test site's WordPress (the root in SLUICE_WP_DIR, set by
// tools/run-plugin-tests) into this process: the PHPUnit process and every
// queue runner process require this file at global scope, as WordPress expects.
declare(strict_types=1);

if (!is_file(getenv('SLUICE_WP_DIR') . '/wp-load.php')) {
    fwrite(STDERR, "php-tests/wp: SLUICE_WP_DIR must name the test site's WordPress root (tools/run-plugin-tests sets it)\n");
    exit(2);
}
$_SERVER['HTTP_HOST'] = '127.0.0.1';
require getenv('SLUICE_WP_DIR') . '/wp-load.php';
