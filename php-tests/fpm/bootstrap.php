<?php
// Bootstrap of the FPM suite (php-tests/fpm): checks what the suite needs and
// brings tools/stack down when PHPUnit exits. Run it with tools/run-fpm-tests.
declare(strict_types=1);

// The support library (processes, the overlap witness) and the extension suite's segment names.
require dirname(__DIR__, 2) . '/support/autoload.php';
require dirname(__DIR__) . '/Support/Segments.php';
require __DIR__ . '/Support/Stack.php';
require __DIR__ . '/Support/Cli.php';
require __DIR__ . '/Support/Http.php';
require __DIR__ . '/Support/FpmTestCase.php';

$problems = [];
if (posix_geteuid() !== 0) {
    $problems[] = 'it must run as root (FPM switches to www-data, tests create a user and signal workers)';
}
foreach (['curl_multi_init', 'posix_kill', 'proc_open'] as $fn) {
    if (!function_exists($fn)) {
        $problems[] = "PHP lacks $fn()";
    }
}
try {
    Sluice\FpmTests\Stack::ext();
} catch (Throwable $e) {
    $problems[] = $e->getMessage();
}
if ($problems) {
    fwrite(STDERR, "php-tests/fpm: cannot run: " . implode('; ', $problems) . "\n");
    exit(1);
}

register_shutdown_function(function (): void {
    if (getenv('SLUICE_FPM_TESTS_KEEP_STACK')) {
        fwrite(STDERR, "\nphp-tests/fpm: stack kept running (SLUICE_FPM_TESTS_KEEP_STACK)\n");
        return;
    }
    Sluice\FpmTests\Stack::down();
});
