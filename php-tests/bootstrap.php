<?php
// Bootstrap of the extension's suite: the extension must be loaded in this
// process (tools/run-php-tests does that) and children are started with the
// same flags through Sluice\Tests\Support\Child (a Process of the support library, as the FPM suite's Cli is).
declare(strict_types=1);

if (!extension_loaded('sluice')) {
    fwrite(STDERR, "php-tests: the sluice extension is not loaded; run tools/run-php-tests\n");
    exit(1);
}
if (!function_exists('posix_kill') || !function_exists('proc_open')) {
    fwrite(STDERR, "php-tests: the posix extension and proc_open are needed\n");
    exit(1);
}

require dirname(__DIR__) . '/support/autoload.php';  // Process, ProcessResult, Overlap, PhpCode
require __DIR__ . '/Support/Child.php';
require __DIR__ . '/Support/Segments.php';
require __DIR__ . '/Support/SluiceTestCase.php';
