<?php
// Loads the test site's WordPress into the PHPUnit process (tests schedule
// actions and read state through the real APIs) with the support library
// (support/: processes, the site, the provider, queue runners), and the
// suites' own helpers. tools/run-plugin-tests sets SLUICE_WP_DIR and the
// stack's php.ini (PHPRC), which loads the extension with the stack's segment.
declare(strict_types=1);

use Sluice\Support\WordPress\Site;

require dirname(__DIR__, 2) . '/support/autoload.php';

// php-webdriver/webdriver for the browser test (tools/php-webdriver, installed by tools/run-plugin-tests).
if (is_file(dirname(__DIR__, 2) . '/tools/php-webdriver/vendor/autoload.php')) {
    require_once dirname(__DIR__, 2) . '/tools/php-webdriver/vendor/autoload.php';
}

// This suite's helpers, and the extension suite's (Child, Segments, one eventually()).
spl_autoload_register(static function (string $class): void {
    foreach (['Sluice\\WpTests\\' => __DIR__, 'Sluice\\Tests\\Support\\' => dirname(__DIR__) . '/Support'] as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = $dir . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
        }
    }
});

// Action Scheduler's store state (migrated or hybrid), then WordPress.
require dirname(__DIR__, 2) . '/support/WordPress/bootstrap.php';

fwrite(STDERR, 'php-tests/wp: ' . Site::describe() . "\n");
