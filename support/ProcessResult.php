<?php
declare(strict_types=1);

namespace Sluice\Support;

/** How a process (Process, and so the test suites' Child and Cli) ended and what it printed. */
final class ProcessResult
{
    public function __construct(
        public readonly int $exitCode,   // Process::TIMED_OUT when wait() killed it at its timeout; -1 when a signal killed it
        public readonly ?int $signal,    // the signal that killed it, if any (SIGKILL after a timeout)
        public readonly string $stdout,  // what the test had not read with readLine() yet
        public readonly string $stderr,
        public readonly ?float $timeout = null,  // the timeout wait() killed it at, if it did
    ) {
    }

    public function timedOut(): bool
    {
        return $this->timeout !== null;
    }

    /** The last stdout line, decoded as JSON (children report that way). */
    public function json(): mixed
    {
        $lines = preg_split('/\R/', trim($this->stdout));
        $decoded = json_decode((string) end($lines), true);
        if ($decoded === null && json_last_error() !== JSON_ERROR_NONE) {
            throw new \RuntimeException("child printed no JSON result:\n" . $this->describe());
        }
        return $decoded;
    }

    public function describe(): string
    {
        $how = $this->timedOut() ? " (did not end within {$this->timeout}s: killed)"
            : ($this->signal !== null ? " (signal {$this->signal})" : '');
        return sprintf("exit %d%s\n--- stdout\n%s\n--- stderr\n%s", $this->exitCode, $how, $this->stdout, $this->stderr);
    }
}
