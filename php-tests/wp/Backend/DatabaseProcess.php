<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

/**
 * A process the database backend's tests start from a shell command line
 * (a daemon such as a PHP-FPM master or nginx, in the foreground, or a queue
 * runner in a PHP without the extension): its output goes to a file, it is
 * stopped by signal, and it never outlives the test.
 */
final class DatabaseProcess
{
    /** @var resource */
    private $process;
    private ?int $exitCode = null;

    private function __construct(private readonly string $outFile, string $command)
    {
        $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['file', $outFile, 'w'], 2 => ['file', $outFile, 'a']], $pipes);
        if (!is_resource($process)) {
            throw new \RuntimeException("cannot start $command");
        }
        $this->process = $process;
    }

    public static function start(string $command): self
    {
        return new self((string) tempnam(sys_get_temp_dir(), 'sluice-db-test-'), $command);
    }

    public function running(): bool
    {
        if ($this->exitCode !== null) {
            return false;
        }
        $status = proc_get_status($this->process);
        if ($status['running']) {
            return true;
        }
        $this->exitCode = $status['signaled'] ? 128 + $status['termsig'] : $status['exitcode'];
        return false;
    }

    public function output(): string
    {
        return (string) @file_get_contents($this->outFile);
    }

    /** Waits for it to end; its exit code (128 + signal when killed). */
    public function wait(float $timeoutSeconds = 120.0): int
    {
        $deadline = microtime(true) + $timeoutSeconds;
        while ($this->running()) {
            if (microtime(true) > $deadline) {
                $this->stop(9);
                throw new \RuntimeException("ran past {$timeoutSeconds}s:\n" . $this->output());
            }
            usleep(20000);
        }
        return (int) $this->exitCode;
    }

    /** Signals it, waits up to 10 s, then SIGKILLs it. */
    public function stop(int $signal = 15): void
    {
        $pid = (int) proc_get_status($this->process)['pid'];
        if ($this->running()) {
            posix_kill($pid, $signal);
        }
        $deadline = microtime(true) + 10;
        while ($this->running() && microtime(true) < $deadline) {
            usleep(20000);
        }
        if ($this->running()) {
            posix_kill($pid, 9);
            while ($this->running()) {
                usleep(5000);
            }
        }
    }

    public function __destruct()
    {
        $this->stop(9);
        proc_close($this->process);
        @unlink($this->outFile);
    }
}
