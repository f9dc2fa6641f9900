<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

use RuntimeException;
use Sluice\Support\Process;

/**
 * A PHP CLI process outside FPM running php-tests/fpm/cli.php, attached to the
 * suite's segment with the same sluice.* settings as the running FPM (plus
 * overrides), as root or as another user. Its stdout is a stream of JSON lines.
 * Reading, waiting and timeouts: Process (the extension suite's Child is the
 * same kind of process).
 */
final class Cli extends Process
{
    /** @var list<array> the lines readJson() returned so far */
    private array $read = [];

    /**
     * @param list<string> $args cli.php arguments
     * @param array<string,string|null> $ini sluice.* overrides (null value: leave unset)
     * @param string|null $user run as this user (runuser); the extension and
     *        script must then be readable by it (see $ext, $script)
     */
    public static function start(array $args, array $ini = [], ?string $user = null, ?string $ext = null,
                                 ?string $script = null): self
    {
        $cmd = self::php($ext ?? Stack::ext(),
            array_merge(['display_errors' => 'stderr'], Stack::current()['ini'], $ini));
        $cmd[] = $script ?? dirname(__DIR__) . '/cli.php';
        $cmd = array_merge($cmd, $args);
        if ($user !== null) {
            $cmd = array_merge(['runuser', '-u', $user, '--'], $cmd);
        }
        return new self($cmd);
    }

    /** Runs to completion (killed after $timeout s: exit code Process::TIMED_OUT) and returns it. */
    public static function run(array $args, array $ini = [], float $timeout = 30.0, ?string $user = null,
                               ?string $ext = null, ?string $script = null): self
    {
        $cli = self::start($args, $ini, $user, $ext, $script);
        $cli->wait($timeout);
        return $cli;
    }

    /** The last JSON line of a command that must succeed. */
    public static function ok(array $args, array $ini = []): array
    {
        $cli = self::run($args, $ini);
        $last = $cli->last();
        if ($cli->exitCode() !== 0 || ($last['result'] ?? '') === 'error') {
            throw new RuntimeException('cli.php ' . implode(' ', $args) . ' failed (exit ' . $cli->exitCode() . '): '
                . json_encode($last) . ' ' . $cli->stderr());
        }
        return $last;
    }

    /** The next JSON line (see Process::readLine() for the timeout). */
    public function readJson(float $timeout = 10.0): array
    {
        return self::decode($this->readLine($timeout));
    }

    protected function lineRead(string $line): void
    {
        $this->read[] = self::decode($line);
    }

    /** The exit code once wait() returned, else null. */
    public function exitCode(): ?int
    {
        return $this->result()?->exitCode;
    }

    /** @return list<array> every JSON line: those read so far and, once it ended, the rest */
    public function lines(): array
    {
        $rest = $this->result()?->stdout ?? '';
        $more = array_map([self::class, 'decode'], preg_split('/\n/', $rest, -1, PREG_SPLIT_NO_EMPTY));
        return array_merge($this->read, $more);
    }

    public function last(): array
    {
        $lines = $this->lines();
        return $lines === [] ? ['result' => 'no output', 'stderr' => $this->stderr()] : end($lines);
    }

    private static function decode(string $line): array
    {
        $decoded = json_decode($line, true);
        return is_array($decoded) ? $decoded : ['result' => 'unparsable', 'raw' => $line];
    }
}
