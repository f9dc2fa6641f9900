<?php
declare(strict_types=1);

namespace Sluice\WpTests\Cli;

use RuntimeException;

/**
 * The real `wp` binary (tools/wp-cli, installed by tools/run-plugin-tests
 * from Composer), run as its own process against a WordPress root, with the
 * stack's php.ini (PHPRC, inherited), so it shares the FPM workers' segment.
 * When Composer could not install it, every test that runs it fails here.
 */
final class WpCli
{
    public function __construct(
        public readonly int $exitCode,
        public readonly string $stdout,
        public readonly string $stderr,
    ) {
    }

    public static function binary(): string
    {
        return dirname(__DIR__, 3) . '/tools/wp-cli/vendor/bin/wp';
    }

    /**
     * `wp --path=<root> --allow-root <args...>` (root: SLUICE_WP_DIR unless given).
     *
     * @param list<string> $args
     */
    public static function run(array $args, ?string $stdin = null, ?string $wpDir = null, float $timeoutSeconds = 120.0): self
    {
        $binary = self::binary();
        if (!is_file($binary)) {
            throw new RuntimeException("WP-CLI is not installed at $binary: tools/run-plugin-tests installs it with Composer (tools/wp-cli/composer.json); see its output or /tmp/sluice-composer-wp-cli.log");
        }
        $command = array_merge([$binary, '--path=' . ($wpDir ?? (string) getenv('SLUICE_WP_DIR')), '--allow-root'], $args);
        $process = proc_open($command, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        if (!is_resource($process)) {
            throw new RuntimeException('cannot start ' . implode(' ', $command));
        }
        fwrite($pipes[0], $stdin ?? '');
        fclose($pipes[0]);
        stream_set_blocking($pipes[1], false);
        stream_set_blocking($pipes[2], false);
        $out = $err = '';
        $deadline = microtime(true) + $timeoutSeconds;
        while (true) {
            $out .= (string) stream_get_contents($pipes[1]);
            $err .= (string) stream_get_contents($pipes[2]);
            $status = proc_get_status($process);
            if (!$status['running']) {
                $out .= (string) stream_get_contents($pipes[1]);
                $err .= (string) stream_get_contents($pipes[2]);
                break;
            }
            if (microtime(true) > $deadline) {
                proc_terminate($process, 9);
                throw new RuntimeException('wp ' . implode(' ', $args) . " ran past {$timeoutSeconds}s:\n$out\n$err");
            }
            usleep(5000);
        }
        fclose($pipes[1]);
        fclose($pipes[2]);
        proc_close($process);
        return new self($status['exitcode'], $out, $err);
    }

    /** @param list<string> $args `wp sluice <args...>` */
    public static function sluice(array $args, ?string $stdin = null, ?string $wpDir = null): self
    {
        return self::run(array_merge(['sluice'], $args), $stdin, $wpDir);
    }

    /** @return array<mixed> stdout as JSON; fails loudly when it is not */
    public function json(): array
    {
        $data = json_decode($this->stdout, true);
        if (!is_array($data)) {
            throw new RuntimeException("expected JSON from wp, got:\n{$this->stdout}\nstderr:\n{$this->stderr}");
        }
        return $data;
    }

    /** Everything it printed, for failure messages. */
    public function __toString(): string
    {
        return "exit {$this->exitCode}\nstdout:\n{$this->stdout}\nstderr:\n{$this->stderr}";
    }
}
