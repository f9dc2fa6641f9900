<?php
declare(strict_types=1);

namespace Sluice\Tests\Support;

/**
 * A child PHP CLI process with the extension loaded exactly as in this process
 * (the same sluice.so, segment and test hooks), plus any INI overrides a test
 * needs. Its code is given as a string (`php -r`); values reach it through
 * var_export()ed variables, see start().
 *
 * stdout is a pipe the test can read line by line while the child runs (e.g.
 * to wait for "held"); stderr goes to a temporary file.
 */
final class Child
{
    /** @var resource */
    private $process;
    /** @var resource */
    private $stdout;
    private string $stderrFile;
    private string $buffer = '';
    private ?ChildResult $result = null;
    public readonly int $pid;

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
        $extension = getenv('SLUICE_TEST_EXT') ?: dirname(__DIR__, 2) . '/ext-build/modules/sluice.so';
        $settings = array_merge([
            'extension' => $extension,
            'sluice.segment' => Segments::main(),
            'sluice.test_hooks' => '1',
            'display_errors' => 'stderr',
            'error_reporting' => (string) E_ALL,
        ], array_map('strval', $ini));
        $cmd = [PHP_BINARY];
        foreach ($settings as $name => $value) {
            $cmd[] = '-d';
            $cmd[] = "$name=$value";
        }
        return $cmd;
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
        return new self($code, $vars, $ini);
    }

    /** Starts a child and waits for it to end. */
    public static function run(string $code, array $vars = [], array $ini = [], float $timeout = 30.0): ChildResult
    {
        return self::start($code, $vars, $ini)->wait($timeout);
    }

    private function __construct(string $code, array $vars, array $ini)
    {
        $prelude = '';
        foreach ($vars as $name => $value) {
            if (!preg_match('/^[a-zA-Z_][a-zA-Z0-9_]*$/', $name)) {
                throw new \InvalidArgumentException("bad variable name $name");
            }
            $prelude .= '$' . $name . ' = ' . var_export($value, true) . ";\n";
        }
        $this->stderrFile = tempnam(sys_get_temp_dir(), 'sluice-child-');
        $cmd = array_merge(self::phpCommand($ini), ['-r', $prelude . $code]);
        $process = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['file', $this->stderrFile, 'w']], $pipes);
        if (!is_resource($process)) {
            throw new \RuntimeException('proc_open failed');
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

    /** The next line the child prints (without the newline); fails after $timeout seconds or at EOF. */
    public function readLine(float $timeout = 10.0): string
    {
        $deadline = microtime(true) + $timeout;
        while (($pos = strpos($this->buffer, "\n")) === false) {
            $left = $deadline - microtime(true);
            if ($left <= 0) {
                throw new \RuntimeException("child {$this->pid} printed no line within {$timeout}s; so far: "
                    . $this->buffer . "\nstderr: " . $this->stderr());
            }
            if (feof($this->stdout)) {
                throw new \RuntimeException("child {$this->pid} ended before printing a line; so far: "
                    . $this->buffer . "\nstderr: " . $this->stderr());
            }
            $this->pump($left);
        }
        $line = substr($this->buffer, 0, $pos);
        $this->buffer = (string) substr($this->buffer, $pos + 1);
        return $line;
    }

    /** Waits for "$expected" as the next line and fails with the child's output otherwise. */
    public function expectLine(string $expected, float $timeout = 10.0): void
    {
        $line = $this->readLine($timeout);
        if ($line !== $expected) {
            throw new \RuntimeException("child {$this->pid} printed '$line', expected '$expected'; stderr: "
                . $this->stderr());
        }
    }

    public function kill(int $signal = 9): void
    {
        if ($this->result === null) {
            posix_kill($this->pid, $signal);
        }
    }

    /** Waits until the child has ended (and is reaped, so its pid is gone); kills it after $timeout. */
    public function wait(float $timeout = 30.0): ChildResult
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
        $this->result = new ChildResult(
            $status['signaled'] ? -1 : $status['exitcode'],
            $status['signaled'] ? $status['termsig'] : null,
            $this->buffer,
            $this->stderr(),
        );
        if ($timedOut) {
            throw new \RuntimeException("child {$this->pid} did not end within {$timeout}s:\n" . $this->result->describe());
        }
        return $this->result;
    }

    public function stderr(): string
    {
        return (string) @file_get_contents($this->stderrFile);
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
