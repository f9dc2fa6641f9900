<?php
// Loads the test site's WordPress into the PHPUnit process (tests schedule
// actions and read state through the real APIs) and the test support.
// tools/run-plugin-tests sets SLUICE_WP_DIR and the stack's php.ini (PHPRC),
// which loads the extension with the stack's segment.
declare(strict_types=1);

// This suite's support, and the extension suite's (one process helper, one eventually()).
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

// Action Scheduler's store state (migrated or hybrid) is set before this process loads WordPress.
\Sluice\WpTests\Support\ActionSchedulerState::establish();
require __DIR__ . '/load-wordpress.php';

fwrite(STDERR, 'php-tests/wp: WordPress ' . get_bloginfo('version') . ', Action Scheduler: '
    . (function_exists('sluice_test_action_scheduler_which') ? sluice_test_action_scheduler_which() : 'not loaded')
    . ', store state ' . \Sluice\WpTests\Support\ActionSchedulerState::describe()
    . ', extension sluice ' . (phpversion('sluice') ?: 'not loaded') . "\n");
