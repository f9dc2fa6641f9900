<?php
// Loads the test site's WordPress into the PHPUnit process (tests schedule
// actions and read state through the real APIs) and the test support.
// tools/run-plugin-tests sets SLUICE_WP_DIR and the stack's php.ini (PHPRC),
// which loads the extension with the stack's segment.
declare(strict_types=1);

$wpDir = getenv('SLUICE_WP_DIR');
if ($wpDir === false || !is_file($wpDir . '/wp-load.php')) {
    fwrite(STDERR, "php-tests/wp: SLUICE_WP_DIR must name the test site (run tools/run-plugin-tests)\n");
    exit(2);
}
$_SERVER['HTTP_HOST'] = '127.0.0.1';
require $wpDir . '/wp-load.php';

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Sluice\\WpTests\\')) {
        $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen('Sluice\\WpTests\\'))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

fwrite(STDERR, 'php-tests/wp: WordPress ' . get_bloginfo('version') . ', Action Scheduler: '
    . (function_exists('sluice_test_action_scheduler_which') ? sluice_test_action_scheduler_which() : 'not loaded')
    . ', extension sluice ' . (phpversion('sluice') ?: 'not loaded') . "\n");
