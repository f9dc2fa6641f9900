<?php
// Shared by the FPM suite's endpoints: parameters, JSON answers, and the rule
// that a Sluice exception is a clear 503 answer, never a PHP error page.
declare(strict_types=1);

function param(string $name, ?string $default = null): string
{
    $value = $_GET[$name] ?? $default;
    if ($value === null) {
        throw new InvalidArgumentException("missing parameter '$name'");
    }
    return (string) $value;
}

/** Who answers: this worker's pid and user, for the tests' bookkeeping. */
function who(): array
{
    $user = '?';
    if (function_exists('posix_geteuid') && function_exists('posix_getpwuid')) {
        $pw = posix_getpwuid(posix_geteuid());
        $user = $pw ? $pw['name'] : (string) posix_geteuid();
    }
    return ['pid' => getmypid(), 'user' => $user];
}

/**
 * Runs $handler, which returns [http status, body array], and answers JSON.
 * A throwable becomes 503 with its class and message (the tests assert on it).
 */
function respond(callable $handler): void
{
    try {
        [$code, $body] = $handler();
    } catch (Throwable $e) {
        $code = 503;
        $body = ['result' => 'error', 'class' => get_class($e), 'message' => $e->getMessage()];
    }
    http_response_code($code);
    header('Content-Type: application/json');
    header('Cache-Control: no-store');
    echo json_encode($body + who(), JSON_UNESCAPED_SLASHES), "\n";
}

/** Sleeps until hrtime() reaches $deadline, resuming after signals (SIGQUIT on reload). */
function sleep_until(int $deadline): void
{
    while (($now = hrtime(true)) < $deadline) {
        usleep(max(1, (int) min(50000, intdiv($deadline - $now, 1000))));
    }
}
