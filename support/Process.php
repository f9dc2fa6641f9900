<?php
declare(strict_types=1);

namespace Sluice\Support;

/**
 * A process that a test, a benchmark or a demo starts and watches: the one
 * process helper of the project. The extension suite's Child and the FPM
 * suite's Cli are Processes; the WordPress bed's Runner (queue runners,
 * daemons, PHP code) wraps one. A command given as a list runs without a
 * shell; one given as a string runs through /bin/sh (start it with `exec` to
 * make the pid the command's own).
 *
 * stdin is /dev/null, or the text given to launch(). Output goes one of two ways:
 *  - launch(): stdout is a pipe the caller reads line by line while the
 *    process runs (readLine()), stderr goes to a temporary file;
 *  - logged(): stdout and stderr both go to one file, read back whole by
 *    output() at any time (readLine() reads it too). For daemons and runners
 *    whose output nobody reads as it comes: a full pipe would block them.
 *
 * One timeout policy:
 *  - readLine($timeout) is for a line the caller needs: when none comes within
 *    $timeout seconds, or the process ends first, it throws with everything
 *    the process printed.
 *  - wait($timeout) waits for the end and reaps the process (its pid is then
 *    gone). At the deadline it SIGKILLs it and returns a result that says so:
 *    exit code TIMED_OUT (124, as timeout(1) does), signal 9. It never throws,
 *    so a test can assert that a process had to be killed (it blocked), and
 *    every other caller fails on the exit code with ProcessResult::describe().
 *  - a process still running when its object goes away is SIGKILLed and reaped.
 */
class Process
{
    public const TIMED_OUT = 124;

    /** @var resource */
    private $process;
    /** @var resource stdout's pipe (launch()) or the log file opened for reading (logged()) */
    private $stdout;
    private ?string $stderrFile = null;
    private ?string $logFile = null;
    private bool $ownsLog = false;
    private string $buffer = '';
    /** @var array<string,mixed>|null proc_get_status() once it said the process ended (PHP reports the exit code once) */
    private ?array $ended = null;
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

    /**
     * Starts $command with stdout on a pipe (readLine(), wait()) and stderr in a temporary file.
     *
     * @param list<string>|string $command
     * @param array<string,string> $env added to (or replacing entries of) this process's environment
     * @param string|null $stdin the text the process reads on stdin (else /dev/null)
     */
    public static function launch(array|string $command, array $env = [], ?string $cwd = null, ?string $stdin = null): self
    {
        return new self($command, $env, $cwd, $stdin);
    }

    /**
     * Starts $command with stdout and stderr appended to $logFile (a temporary
     * file of its own, removed with the object, when null); output() reads it.
     *
     * @param list<string>|string $command
     * @param array<string,string> $env added to (or replacing entries of) this process's environment
     */
    public static function logged(array|string $command, ?string $logFile = null, array $env = [], ?string $cwd = null): self
    {
        return new self($command, $env, $cwd, null, $logFile ?? '');
    }

    /**
     * Runs $command to its end (launch() then wait($timeout)).
     *
     * @param list<string>|string $command
     * @param array<string,string> $env
     */
    public static function execute(array|string $command, float $timeout = 30.0, array $env = [], ?string $cwd = null, ?string $stdin = null): ProcessResult
    {
        return self::launch($command, $env, $cwd, $stdin)->wait($timeout);
    }

    /**
     * @param list<string>|string $command the command line (a string goes through /bin/sh); subclasses say what runs
     * @param array<string,string> $env
     * @param string|null $log null: stdout on a pipe, stderr in a temporary file; '' or a path: both into that
     *        file ('' a temporary one of its own)
     */
    protected function __construct(array|string $command, array $env = [], ?string $cwd = null, ?string $stdin = null, ?string $log = null)
    {
        $stdinFile = null;
        if ($stdin !== null) {
            $stdinFile = (string) tempnam(sys_get_temp_dir(), 'sluice-stdin-');
            file_put_contents($stdinFile, $stdin);
        }
        $descriptors = [0 => ['file', $stdinFile ?? '/dev/null', 'r']];
        if ($log === null) {
            $this->stderrFile = (string) tempnam(sys_get_temp_dir(), 'sluice-process-');
            $descriptors[1] = ['pipe', 'w'];
            $descriptors[2] = ['file', $this->stderrFile, 'w'];
        } else {
            $this->ownsLog = $log === '';
            $this->logFile = $log === '' ? (string) tempnam(sys_get_temp_dir(), 'sluice-process-') : $log;
            $descriptors[1] = ['file', $this->logFile, 'a'];
            $descriptors[2] = ['file', $this->logFile, 'a'];
            clearstatcache(true, $this->logFile);
            $logStart = (int) @filesize($this->logFile);  // a log with earlier lines: readLine() starts after them
        }
        $process = proc_open($command, $descriptors, $pipes, $cwd, $env === [] ? null : array_merge(getenv(), $env));
        if ($stdinFile !== null) {
            unlink($stdinFile);  // the process has it open
        }
        if (!is_resource($process)) {
            throw new \RuntimeException('cannot start ' . (is_array($command) ? implode(' ', $command) : $command));
        }
        $this->process = $process;
        if ($log === null) {
            $this->stdout = $pipes[1];
            stream_set_blocking($this->stdout, false);
        } else {
            $reader = fopen((string) $this->logFile, 'r');
            if ($reader === false) {
                throw new \RuntimeException("cannot read {$this->logFile}");
            }
            fseek($reader, $logStart ?? 0);
            $this->stdout = $reader;
        }
        $this->pid = proc_get_status($process)['pid'];
    }

    public function __destruct()
    {
        if ($this->result === null) {
            $this->kill();
            $this->wait(5.0);
        }
        foreach ([$this->stderrFile, $this->ownsLog ? $this->logFile : null] as $file) {
            if ($file !== null && is_file($file)) {
                unlink($file);
            }
        }
    }

    /** The next line the process prints (without the newline); throws after $timeout seconds or at its end. */
    public function readLine(float $timeout = 10.0): string
    {
        $deadline = microtime(true) + $timeout;
        while (($pos = strpos($this->buffer, "\n")) === false) {
            $left = $deadline - microtime(true);
            if ($left <= 0) {
                throw new \RuntimeException("process {$this->pid} printed no line within {$timeout}s; so far: "
                    . $this->buffer . "\nstderr: " . $this->stderr());
            }
            if ($this->drained() && !str_contains($this->buffer, "\n")) {
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
        if ($this->running()) {
            posix_kill($this->pid, $signal);
        }
    }

    /** True until the process has ended (it may not be reaped yet: wait() does that). */
    public function running(): bool
    {
        if ($this->ended !== null) {
            return false;
        }
        $status = proc_get_status($this->process);
        if ($status['running']) {
            return true;
        }
        $this->ended = $status;
        return false;
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
        while ($this->running()) {
            $this->pump(0.05);
            if (!$timedOut && microtime(true) > $deadline) {
                $timedOut = true;
                posix_kill($this->pid, 9);
            }
        }
        while (!$this->drained()) {
            $this->pump(0.05);
        }
        fclose($this->stdout);
        proc_close($this->process);
        $status = (array) $this->ended;
        $this->result = new ProcessResult(
            $timedOut ? self::TIMED_OUT : ($status['signaled'] ? -1 : (int) $status['exitcode']),
            $status['signaled'] ? (int) $status['termsig'] : null,
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

    /** Everything a logged() process printed so far, stdout and stderr as they came. */
    public function output(): string
    {
        if ($this->logFile === null) {
            throw new \LogicException('output() is for logged() processes; read a launch()ed one with readLine() and wait()');
        }
        return (string) @file_get_contents($this->logFile);
    }

    /** stderr so far ('' for a logged() process: it is in output()). */
    public function stderr(): string
    {
        return $this->stderrFile === null ? '' : (string) @file_get_contents($this->stderrFile);
    }

    /** Called with every line readLine() returns; a subclass may keep them. */
    protected function lineRead(string $line): void
    {
    }

    /** True once nothing more can come: the pipe is at its end, or a logged() process ended and its log is read. */
    private function drained(): bool
    {
        if ($this->logFile === null) {
            return feof($this->stdout);
        }
        if ($this->running()) {
            return false;
        }
        $before = strlen($this->buffer);
        $this->pump(0.0);
        return strlen($this->buffer) === $before;
    }

    /** Reads what has come, waiting up to $timeout seconds for something. */
    private function pump(float $timeout): void
    {
        if ($this->logFile !== null) {
            $chunk = (string) fread($this->stdout, 65536);
            if ($chunk === '' && $timeout > 0) {
                usleep((int) (min($timeout, 0.01) * 1e6));
                $chunk = (string) fread($this->stdout, 65536);
            }
            $this->buffer .= $chunk;
            return;
        }
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
