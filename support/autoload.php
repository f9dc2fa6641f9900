<?php
// The support library of Sluice's tests, benchmarks and demos (namespace
// Sluice\Support, this folder): the one process helper (Process, ProcessResult),
// PHP code with variables (PhpCode), the max-overlap witness (Overlap), and the
// WordPress test bed's side (Sluice\Support\WordPress: the site, the fake
// provider, queue runners; WordPress/load.php loads the bed's WordPress).
// Requires nothing but PHP: no extension, no PHPUnit, no WordPress until used.
declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Sluice\\Support\\')) {
        $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen('Sluice\\Support\\'))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
