<?php
// Loads the plugin's backend classes without WordPress: they are plain PHP,
// so their contract is tested here, in real processes, with no WordPress at all.
declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'SluiceWP\\Backend\\')) {
        require dirname(__DIR__, 2) . '/wp-plugin/sluice/includes/' .
            str_replace('\\', '/', substr($class, strlen('SluiceWP\\'))) . '.php';
    }
});
