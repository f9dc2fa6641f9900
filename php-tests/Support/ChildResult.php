<?php
declare(strict_types=1);

namespace Sluice\Tests\Support;

/** How a child PHP process ended and what it printed. */
final class ChildResult
{
    public function __construct(
        public readonly int $exitCode,   // -1 when killed by a signal
        public readonly ?int $signal,    // the signal that killed it, if any
        public readonly string $stdout,
        public readonly string $stderr,
    ) {
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
        return sprintf("exit %d%s\n--- stdout\n%s\n--- stderr\n%s", $this->exitCode,
            $this->signal !== null ? " (signal {$this->signal})" : '', $this->stdout, $this->stderr);
    }
}
