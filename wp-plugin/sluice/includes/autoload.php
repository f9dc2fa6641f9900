<?php
/**
 * Loads the plugin's classes: SluiceWP\Foo\Bar lives in includes/Foo/Bar.php.
 * (No Composer autoloader at run time: the plugin ships as plain files.)
 */

declare(strict_types=1);

defined('ABSPATH') || exit;

spl_autoload_register(static function (string $class): void {
    if (!str_starts_with($class, 'SluiceWP\\')) {
        return;
    }
    $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen('SluiceWP\\'))) . '.php';
    if (is_file($file)) {
        require $file;
    }
});
