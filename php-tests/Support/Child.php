<?php
declare(strict_types=1);

namespace Sluice\Tests\Support;

use Sluice\Support\PhpCode;
use Sluice\Support\Process;
use Sluice\Support\ProcessResult;

/**
 * A child PHP CLI process of the extension's suite, with the extension loaded
 * exactly as in this process (the same sluice.so, segment and test hooks),
 * plus any INI overrides a test needs. Its code is given as a string
 * (`php -r`); values reach it through variables (PhpCode::withVariables()).
 * Reading its output, waiting and timeouts: Process (the support library's).
 */
final class Child extends Process
{
    /**
     * The command line prefix every child gets: this PHP binary, the same
     * extension and segment, test hooks on. tools/run-php-tests exports the
     * values; they default to this process's own.
     *
     * @param array<string,string|int> $ini extra or overriding INI settings
     * @return list<string>
     */
    public static function phpCommand(array $ini = []): array
    {
        $ini = array_map('strval', $ini);
        $extension = $ini['extension']
            ?? (getenv('SLUICE_TEST_EXT') ?: dirname(__DIR__, 2) . '/ext-build/modules/sluice.so');
        unset($ini['extension']);
        return self::php($extension, array_merge([
            'sluice.segment' => Segments::main(),
            'sluice.test_hooks' => '1',
            'display_errors' => 'stderr',
            'error_reporting' => (string) E_ALL,
        ], $ini));
    }

    /**
     * Starts `php -r $code`. Each entry of $vars becomes a variable of the
     * child's code ($vars['key'] => $key), so tests never splice values into code.
     *
     * @param array<string,mixed> $vars
     * @param array<string,string|int> $ini
     */
    public static function start(string $code, array $vars = [], array $ini = []): self
    {
        return new self(array_merge(self::phpCommand($ini), ['-r', PhpCode::withVariables($code, $vars)]));
    }

    /** Starts a child and waits for it to end (see Process::wait()). */
    public static function run(string $code, array $vars = [], array $ini = [], float $timeout = 30.0): ProcessResult
    {
        return self::start($code, $vars, $ini)->wait($timeout);
    }
}
