<?php
declare(strict_types=1);

namespace Sluice\Tests\Support;

/**
 * A process a test starts and watches: the one process helper of both suites
 * (Child, for the extension's suite, and the FPM suite's Cli build on it).
 * stdin is /dev/null; stdout is a pipe the test reads line by line while the
 * process runs; stderr goes to a temporary file.
 *
 * One timeout policy:
 *  - readLine($timeout) is for a line the test needs: when none comes within
 *    $timeout seconds, or the process ends first, it throws with everything
 *    the process printed.
 *  - wait($timeout) waits for the end and reaps the process (its pid is then
 *    gone). At the deadline it SIGKILLs it and returns a result that says so:
 *    exit code TIMED_OUT (124, as timeout(1) does), signal 9. It never throws,
 *    so a test can assert that a process had to be killed (it blocked), and
 *    every other test fails on the exit code with ProcessResult::describe().
 *  - a process still running when its object goes away is SIGKILLed and reaped.
 */
class Process
{
    public const TIMED_OUT = 124;

    /** @var resource */
    private $process;
    /** @var resource */
    private $stdout;
    private string $stderrFile;
    private string $buffer = '';
    private ?ProcessResult $result = null;
    public readonly int $pid;

    /**
     * `php` with the extension and INI settings: [PHP_BINARY, -d extension=.., -d name=value ...].
     *
     * @param array<string,string|int|null> $ini a null value leaves that setting out
     * @return list<string>
     */
    public static function php(string $extension, array $ini = []): array
    {
        $cmd = [PHP_BINARY, '-d', "extension=$extension"];
        foreach ($ini as $name => $value) {
            if ($value !== null) {
                $cmd[] = '-d';
                $cmd[] = "$name=$value";
            }
        }
        return $cmd;
    }

    /** @param list<string> $cmd the command line (no shell); subclasses say what runs */
    protected function __construct(array $cmd)
    {
        $this->stderrFile = tempnam(sys_get_temp_dir(), 'sluice-process-');
        $process = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'],
            2 => ['file', $this->stderrFile, 'w']], $pipes);
        if (!is_resource($process)) {
            throw new \RuntimeException('cannot start ' . implode(' ', $cmd));
        }
        $this->process = $process;
        $this->stdout = $pipes[1];
        stream_set_blocking($this->stdout, false);
        $this->pid = proc_get_status($process)['pid'];
    }

    public function __destruct()
    {
        if ($this->result === null) {
            $this->kill();
            $this->wait(5.0);
        }
        if (is_file($this->stderrFile)) {
            unlink($this->stderrFile);
        }
    }

    /** The next line the process prints (without the newline); throws after $timeout seconds or at EOF. */
    public function readLine(float $timeout = 10.0): string
    {
        $deadline = microtime(true) + $timeout;
        while (($pos = strpos($this->buffer, "\n")) === false) {
            $left = $deadline - microtime(true);
            if ($left <= 0) {
                throw new \RuntimeException("process {$this->pid} printed no line within {$timeout}s; so far: "
                    . $this->buffer . "\nstderr: " . $this->stderr());
            }
            if (feof($this->stdout)) {
                throw new \RuntimeException("process {$this->pid} ended before printing a line; so far: "
                    . $this->buffer . "\nstderr: " . $this->stderr());
            }
            $this->pump($left);
        }
        $line = substr($this->buffer, 0, $pos);
        $this->buffer = (string) substr($this->buffer, $pos + 1);
        $this->lineRead($line);
        return $line;
    }

    /** Waits for "$expected" as the next line and fails with the process's output otherwise. */
    public function expectLine(string $expected, float $timeout = 10.0): void
    {
        $line = $this->readLine($timeout);
        if ($line !== $expected) {
            throw new \RuntimeException("process {$this->pid} printed '$line', expected '$expected'; stderr: "
                . $this->stderr());
        }
    }

    public function kill(int $signal = 9): void
    {
        if ($this->result === null) {
            posix_kill($this->pid, $signal);
        }
    }

    /**
     * Waits until the process has ended and is reaped; SIGKILLs it at $timeout
     * seconds (the result then says so: exit code TIMED_OUT).
     */
    public function wait(float $timeout = 30.0): ProcessResult
    {
        if ($this->result !== null) {
            return $this->result;
        }
        $deadline = microtime(true) + $timeout;
        $timedOut = false;
        while (true) {
            $this->pump(0.05);
            $status = proc_get_status($this->process);
            if (!$status['running']) {
                break;
            }
            if (!$timedOut && microtime(true) > $deadline) {
                $timedOut = true;
                posix_kill($this->pid, 9);
            }
        }
        while (!feof($this->stdout)) {
            $this->pump(0.05);
        }
        fclose($this->stdout);
        proc_close($this->process);
        $this->result = new ProcessResult(
            $timedOut ? self::TIMED_OUT : ($status['signaled'] ? -1 : $status['exitcode']),
            $status['signaled'] ? $status['termsig'] : null,
            $this->buffer,
            $this->stderr(),
            $timedOut ? $timeout : null,
        );
        return $this->result;
    }

    /** The result once wait() returned, else null. */
    public function result(): ?ProcessResult
    {
        return $this->result;
    }

    public function stderr(): string
    {
        return (string) @file_get_contents($this->stderrFile);
    }

    /** Called with every line readLine() returns; a subclass may keep them. */
    protected function lineRead(string $line): void
    {
    }

    private function pump(float $timeout): void
    {
        $read = [$this->stdout];
        $write = $except = null;
        $seconds = (int) $timeout;
        if (@stream_select($read, $write, $except, $seconds, (int) (($timeout - $seconds) * 1e6)) > 0) {
            $chunk = fread($this->stdout, 65536);
            if ($chunk !== false) {
                $this->buffer .= $chunk;
            }
        }
    }
}
