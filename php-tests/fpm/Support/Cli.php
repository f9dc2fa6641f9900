<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

use RuntimeException;

/**
 * A PHP CLI process outside FPM running php-tests/fpm/cli.php, attached to the
 * suite's segment with the same sluice.* settings as the running FPM (plus
 * overrides), as root or as another user. Its stdout is a stream of JSON lines.
 */
final class Cli
{
    /** @var resource */
    private $process;
    /** @var resource */
    private $stdout;
    private string $buffer = '';
    private string $stderrFile;
    private ?int $exitCode = null;
    public readonly int $pid;

    /** @var list<array> lines read so far */
    public array $lines = [];

    /**
     * @param list<string> $args cli.php arguments
     * @param array<string,string> $ini sluice.* overrides (null value: leave unset)
     * @param string|null $user run as this user (runuser); the extension and
     *        script must then be readable by it (see $ext, $script)
     */
    public static function start(array $args, array $ini = [], ?string $user = null, ?string $ext = null,
                                 ?string $script = null): self
    {
        $settings = array_merge(Stack::current()['ini'], $ini);
        $cmd = [PHP_BINARY, '-d', 'extension=' . ($ext ?? Stack::ext()), '-d', 'display_errors=stderr'];
        foreach ($settings as $name => $value) {
            if ($value !== null) {
                $cmd[] = '-d';
                $cmd[] = "$name=$value";
            }
        }
        $cmd[] = $script ?? dirname(__DIR__) . '/cli.php';
        $cmd = array_merge($cmd, $args);
        if ($user !== null) {
            $cmd = array_merge(['runuser', '-u', $user, '--'], $cmd);
        }
        return new self($cmd);
    }

    /** Runs to completion (killed after $timeout s) and returns it. */
    public static function run(array $args, array $ini = [], float $timeout = 20.0, ?string $user = null,
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
        if ($cli->exitCode !== 0 || ($last['result'] ?? '') === 'error') {
            throw new RuntimeException('cli.php ' . implode(' ', $args) . ' failed (exit ' . $cli->exitCode . '): '
                . json_encode($last) . ' ' . $cli->stderr());
        }
        return $last;
    }

    /** @param list<string> $cmd */
    private function __construct(array $cmd)
    {
        $this->stderrFile = tempnam(sys_get_temp_dir(), 'sluice-fpm-cli');
        $this->process = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'],
            2 => ['file', $this->stderrFile, 'w']], $pipes);
        if (!is_resource($this->process)) {
            throw new RuntimeException('cannot start ' . implode(' ', $cmd));
        }
        $this->stdout = $pipes[1];
        stream_set_blocking($this->stdout, false);
        $this->pid = proc_get_status($this->process)['pid'];
    }

    /** Waits up to $timeout s for the next JSON line; null on timeout or EOF. */
    public function readLine(float $timeout = 10.0): ?array
    {
        $deadline = microtime(true) + $timeout;
        for (;;) {
            $nl = strpos($this->buffer, "\n");
            if ($nl !== false) {
                $line = substr($this->buffer, 0, $nl);
                $this->buffer = substr($this->buffer, $nl + 1);
                $decoded = json_decode($line, true);
                $decoded = is_array($decoded) ? $decoded : ['result' => 'unparsable', 'raw' => $line];
                $this->lines[] = $decoded;
                return $decoded;
            }
            if (feof($this->stdout)) {
                return null;
            }
            $left = $deadline - microtime(true);
            if ($left <= 0) {
                return null;
            }
            $r = [$this->stdout];
            $w = $e = null;
            if (@stream_select($r, $w, $e, 0, (int) min(100000, $left * 1e6)) > 0) {
                $chunk = fread($this->stdout, 65536);
                if ($chunk !== false) {
                    $this->buffer .= $chunk;
                }
            }
        }
    }

    /** Waits for exit (SIGKILL after $timeout s, exit code 124 then); reads all lines. */
    public function wait(float $timeout = 20.0): int
    {
        if ($this->exitCode !== null) {
            return $this->exitCode;
        }
        $deadline = microtime(true) + $timeout;
        while ($this->readLine(max(0.0, $deadline - microtime(true))) !== null) {
        }
        $killed = false;
        if (!feof($this->stdout)) {
            $st = proc_get_status($this->process);
            if ($st['running']) {
                posix_kill($this->pid, SIGKILL);
                $killed = true;
            }
        }
        fclose($this->stdout);
        $code = proc_close($this->process);
        $this->exitCode = $killed ? 124 : $code;
        return $this->exitCode;
    }

    public function exitCode(): ?int
    {
        return $this->exitCode;
    }

    public function last(): array
    {
        return $this->lines === [] ? ['result' => 'no output', 'stderr' => $this->stderr()] : end($this->lines);
    }

    public function stderr(): string
    {
        return (string) @file_get_contents($this->stderrFile);
    }

    public function __destruct()
    {
        if ($this->exitCode === null) {
            $this->wait(0.0);
        }
        @unlink($this->stderrFile);
    }
}
