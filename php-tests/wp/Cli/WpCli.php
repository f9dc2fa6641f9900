<?php
declare(strict_types=1);

namespace Sluice\WpTests\Cli;

use RuntimeException;
use Sluice\Support\Process;

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
        $result = Process::execute($command, $timeoutSeconds, stdin: $stdin);
        if ($result->timedOut()) {
            throw new RuntimeException('wp ' . implode(' ', $args) . ' ' . $result->describe());
        }
        return new self($result->exitCode, $result->stdout, $result->stderr);
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
