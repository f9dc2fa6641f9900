<?php
declare(strict_types=1);

namespace Sluice\Support\WordPress;

use RuntimeException;

/** Controls the fake AI provider (tools/fake-provider) that tools/wp-stack started. */
final class Provider
{
    public static function url(): string
    {
        return rtrim((string) getenv('SLUICE_PROVIDER_URL'), '/');
    }

    /** Counters back to zero, stalled requests closed, then the given behaviour. */
    public static function reset(int $latencyMs = 300, int $saturateAbove = 0): void
    {
        self::post('/__reset', ['drop_stalled' => true]);
        self::post('/__config', ['latency_ms' => $latencyMs, 'saturate_above' => $saturateAbove]);
    }

    /** @return array<string, mixed> {in_flight, max_in_flight, max_served_in_flight, answered, stalled, ...} */
    public static function stats(): array
    {
        $body = file_get_contents(self::url() . '/__stats');
        $stats = is_string($body) ? json_decode($body, true) : null;
        if (!is_array($stats)) {
            throw new RuntimeException('the fake provider did not answer /__stats at ' . self::url());
        }
        return $stats;
    }

    /** @param array<string, mixed> $body */
    private static function post(string $path, array $body): void
    {
        $context = stream_context_create(['http' => [
            'method' => 'POST',
            'header' => "Content-Type: application/json\r\n",
            'content' => json_encode($body),
            'timeout' => 5,
        ]]);
        if (file_get_contents(self::url() . $path, false, $context) === false) {
            throw new RuntimeException("the fake provider refused POST $path");
        }
    }
}
