<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

use RuntimeException;
use Sluice\Support\Process;
use Sluice\Tests\Support\Segments;

/**
 * Drives tools/stack for the FPM suite: its own state dir and ports (so it
 * never meets another stack on the machine), this suite's docroot, the run's
 * snapshot of the extension, and per-test FPM settings. ensure() restarts FPM only when a test
 * asks for settings other than the running ones; the bootstrap brings the
 * stack down when PHPUnit exits.
 */
final class Stack
{
    /**
     * The suite's segment: SLUICE_FPM_TESTS_SEGMENT (tools/run-fpm-tests sets it), so two runs on one host keep
     * apart; other segments of the suite are named after it (e.g. "<segment>-pool").
     */
    public static function segment(): string
    {
        return getenv('SLUICE_FPM_TESTS_SEGMENT') ?: 'sluice-fpm-tests';
    }

    /** The FPM settings every test starts from; a test overrides some of them. */
    public static function defaults(): array
    {
        return [
            'workers' => 4,
            'terminate_timeout' => 0,
            'max_requests' => 0,
            'control_timeout' => 10,
            'pool' => [],  // extra pool lines, e.g. php_admin_value[sluice.segment] = x
            'ini' => [
                'sluice.segment' => self::segment(),
                'sluice.file_mode' => '0660',
                'sluice.group' => 'www-data',
                'sluice.test_hooks' => '1',
            ],
        ];
    }

    /** @var array<string,mixed>|null what the running FPM was started with */
    private static ?array $running = null;
    private static bool $up = false;
    private static ?string $docroot = null;

    public static function root(): string
    {
        return dirname(__DIR__, 3);
    }

    /**
     * The extension FPM and the suite's CLI processes load: the snapshot
     * tools/run-fpm-tests took for this run (SLUICE_EXT; see
     * tools/stack.d/sluice.bash), so that every process of the run, across FPM
     * restarts, loads the build PHPUnit itself loaded.
     */
    public static function ext(): string
    {
        $ext = getenv('SLUICE_EXT');
        if ($ext === false || $ext === '' || !is_file($ext)) {
            throw new RuntimeException('SLUICE_EXT names no extension: run the suite with tools/run-fpm-tests');
        }
        return $ext;
    }

    public static function dir(): string
    {
        return getenv('SLUICE_FPM_TESTS_STACK_DIR') ?: '/tmp/sluice-fpm-tests';
    }

    public static function port(): int
    {
        return (int) (getenv('SLUICE_FPM_TESTS_HTTP_PORT') ?: 8091);
    }

    public static function url(string $path): string
    {
        return 'http://127.0.0.1:' . self::port() . '/' . ltrim($path, '/');
    }

    public static function logFile(string $name): string
    {
        return self::dir() . '/logs/' . $name;
    }

    /** @param array<string,mixed> $overrides */
    public static function settings(array $overrides = []): array
    {
        $s = self::defaults();
        foreach ($overrides as $k => $v) {
            $s[$k] = $k === 'ini' ? array_merge($s['ini'], $v) : $v;
        }
        return $s;
    }

    /** The settings FPM runs with now (defaults() before the first start). */
    public static function current(): array
    {
        return self::$running ?? self::defaults();
    }

    /**
     * The docroot FPM serves: php-tests/fpm/www, or a world-readable copy when
     * www-data cannot read the checkout (e.g. a clone under /root).
     */
    public static function docroot(): string
    {
        if (self::$docroot !== null) {
            return self::$docroot;
        }
        $src = dirname(__DIR__) . '/www';
        exec('runuser -u www-data -- test -r ' . escapeshellarg("$src/hold.php") . ' 2>/dev/null', $o, $rc);
        if ($rc === 0) {
            return self::$docroot = $src;
        }
        $copy = self::dir() . '-www';
        exec('rm -rf ' . escapeshellarg($copy) . ' && mkdir -p ' . escapeshellarg($copy)
            . ' && cp -a ' . escapeshellarg($src) . '/. ' . escapeshellarg($copy)
            . ' && chmod -R a+rX ' . escapeshellarg($copy), $o, $rc);
        if ($rc !== 0) {
            throw new RuntimeException("cannot copy the docroot to $copy");
        }
        return self::$docroot = $copy;
    }

    /**
     * Brings the stack up with $overrides on top of defaults(), or restarts FPM
     * when it runs with other settings.
     */
    public static function ensure(array $overrides = []): void
    {
        $want = self::settings($overrides);
        if (!self::$up) {
            self::run(['down'], $want);  // a leftover from an aborted run
            self::removeSegment();       // and its segment: each run starts empty
            self::run(['up'], $want);
            self::$up = true;
            self::$running = $want;
        } elseif ($want != self::$running) {
            self::restartFpm($overrides);
        }
    }

    /** Stops and starts FPM (fresh workers that have not attached yet). */
    public static function restartFpm(array $overrides = []): void
    {
        if (!self::$up) {
            self::ensure($overrides);
            return;
        }
        $want = self::settings($overrides);
        self::run(['restart-fpm'], $want);
        self::$running = $want;
    }

    /** SIGUSR2 to the FPM master; returns when the new workers serve. */
    public static function reloadFpm(): string
    {
        return self::run(['reload-fpm'], self::current());
    }

    public static function down(): void
    {
        if (self::$up || is_dir(self::dir())) {
            self::run(['down'], self::current(), false);
            self::removeSegment();
        }
        self::$up = false;
        self::$running = null;
    }

    /** Runs `tools/stack $args` with the settings FPM runs with now; throws on a non-zero exit. */
    public static function command(string ...$args): string
    {
        return self::run($args, self::current());
    }

    /** `tools/stack status`, which exits 3 when a service is stopped (as LSB status does). */
    public static function status(): string
    {
        return self::run(['status'], self::current(), false);
    }

    public static function masterPid(): int
    {
        $out = self::run(['env'], self::current());
        if (!preg_match('/SLUICE_FPM_MASTER_PID=(\d+)/', $out, $m)) {
            throw new RuntimeException("no FPM master pid in 'tools/stack env': $out");
        }
        return (int) $m[1];
    }

    /**
     * Unlinks the suite's segment and its lock. Only safe while no process has
     * it mapped (call it right after restartFpm(): fresh workers attach lazily).
     */
    public static function removeSegment(?string $name = null): void
    {
        Segments::remove($name ?? self::segment());
    }

    public static function segmentFile(?string $name = null): string
    {
        return Segments::file($name ?? self::segment());
    }

    /** @param list<string> $args */
    private static function run(array $args, array $settings, bool $check = true): string
    {
        $ini = '';
        foreach ($settings['ini'] as $name => $value) {
            $ini .= "$name = \"$value\"\n";
        }
        $env = [
            'SLUICE_STACK_DIR' => self::dir(),
            'SLUICE_HTTP_PORT' => (string) self::port(),
            'SLUICE_DB_PORT' => (string) (getenv('SLUICE_FPM_TESTS_DB_PORT') ?: 3309),
            'SLUICE_DOCROOT' => self::docroot(),
            'SLUICE_EXT' => self::ext(),
            'SLUICE_PHP_INI_EXTRA' => $ini,
            'SLUICE_FPM_WORKERS' => (string) $settings['workers'],
            'SLUICE_FPM_TERMINATE_TIMEOUT' => (string) $settings['terminate_timeout'],
            'SLUICE_FPM_MAX_REQUESTS' => (string) $settings['max_requests'],
            'SLUICE_FPM_CONTROL_TIMEOUT' => (string) $settings['control_timeout'],
            'SLUICE_FPM_POOL_EXTRA' => implode("\n", $settings['pool']),
        ];
        $cmd = array_merge([self::root() . '/tools/stack'], $args);
        $stack = Process::logged($cmd, null, $env);  // stdout and stderr as they came, in one log
        $rc = $stack->wait(600.0)->exitCode;
        $out = $stack->output();
        if ($check && $rc !== 0) {
            throw new RuntimeException('tools/stack ' . implode(' ', $args) . " failed ($rc):\n$out");
        }
        return $out;
    }
}
