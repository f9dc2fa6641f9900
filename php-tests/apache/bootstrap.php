<?php
// Bootstrap of the Apache suite: the plugin suites' bootstrap (the test site's
// WordPress in this process, with the stack's php.ini and so the Apache
// children's segment; the support library; the suites' helpers), on a bed
// that tools/run-apache-tests brought up with Apache, plus this suite's helpers.
declare(strict_types=1);

if (getenv('SLUICE_WEB_SERVER') !== 'apache' || (int) getenv('SLUICE_APACHE_PARENT_PID') <= 0) {
    fwrite(STDERR, "php-tests/apache: the test bed must run Apache (tools/run-apache-tests brings it up)\n");
    exit(1);
}
require dirname(__DIR__) . '/wp/bootstrap.php';

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Sluice\\ApacheTests\\')) {
        $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen('Sluice\\ApacheTests\\'))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
