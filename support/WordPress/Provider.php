<?php
declare(strict_types=1);

namespace Sluice\Support\WordPress;

use RuntimeException;

/**
 * Controls the fake AI provider (tools/fake-provider) that tools/wp-stack
 * started: through its control socket (SLUICE_PROVIDER_CONTROL), which
 * answers while an outage window refuses the provider's port, else its URL.
 */
final class Provider
{
    public static function url(): string
    {
        return rtrim((string) getenv('SLUICE_PROVIDER_URL'), '/');
    }

    /**
     * Counters back to zero, stalled requests closed, the schedule's clock
     * restarted, then the given behaviour: a constant capacity (0: none)
     * whose excess stalls, no fail rules, no outage, no load latency, the
     * fixed latency (no latency distribution).
     */
    public static function reset(int $latencyMs = 300, int $saturateAbove = 0): void
    {
        self::post('/__config', ['fail_rules' => [], 'outages' => [], 'latency_per_load' => 0, 'over_capacity' => 'stall',
            'rpm_limit' => 0, 'tpm_limit' => 0, 'rate_headers' => false, 'latency_distribution' => null]);
        self::post('/__reset', ['drop_stalled' => true]);
        self::post('/__config', ['latency_ms' => $latencyMs, 'saturate_above' => $saturateAbove]);
    }

    /**
     * Sets any of the provider's options (tools/fake-provider/README.md): latency_ms, latency_per_load,
     * capacity_schedule, over_capacity, retry_after_s, fail_rules, outages, orphans_keep_serving, rpm_limit,
     * tpm_limit, rate_headers, latency_distribution.
     *
     * @param array<string, mixed> $config
     * @return array<string, mixed> what it answered
     */
    public static function configure(array $config): array
    {
        return self::post('/__config', $config);
    }

    /** @return array<string, mixed> {in_flight, max_in_flight, max_served_in_flight, answered, stalled, rejected, over_capacity_ms, ...} */
    public static function stats(): array
    {
        return self::request('GET', '/__stats', null);
    }

    /**
     * One record per API request since the last reset (ms since the schedule's start).
     *
     * @return list<array{start_ms: int, end_ms: ?int, outcome: ?string, status: int, flow: string, job: string}>
     */
    public static function timeline(): array
    {
        $timeline = self::request('GET', '/__timeline', null);
        return array_values((array) ($timeline['records'] ?? []));
    }

    /**
     * $n draws (ms) from the latency distribution in force (latency_distribution; the fixed latency without one),
     * without serving anything.
     *
     * @return list<int>
     */
    public static function latencySample(int $n): array
    {
        return array_map('intval', (array) (self::request('GET', '/__latency_sample?n=' . $n, null)['samples'] ?? []));
    }

    /**
     * @param array<string, mixed> $body
     * @return array<string, mixed>
     */
    private static function post(string $path, array $body): array
    {
        return self::request('POST', $path, $body);
    }

    /**
     * @param array<string, mixed>|null $body
     * @return array<string, mixed>
     */
    private static function request(string $method, string $path, ?array $body): array
    {
        $socket = (string) getenv('SLUICE_PROVIDER_CONTROL');
        $curl = curl_init(($socket !== '' && file_exists($socket) ? 'http://fake-provider' : self::url()) . $path);
        $options = [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 10, CURLOPT_CUSTOMREQUEST => $method];
        if ($socket !== '' && file_exists($socket)) {
            $options[CURLOPT_UNIX_SOCKET_PATH] = $socket;
        }
        if ($body !== null) {
            $options[CURLOPT_POSTFIELDS] = json_encode($body);
            $options[CURLOPT_HTTPHEADER] = ['Content-Type: application/json'];
        }
        curl_setopt_array($curl, $options);
        $raw = curl_exec($curl);
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        $error = curl_error($curl);
        curl_close($curl);
        $answer = is_string($raw) ? json_decode($raw, true) : null;
        if (!is_array($answer) || $status !== 200) {
            throw new RuntimeException("the fake provider refused {$method} {$path} (HTTP {$status}" . ($error !== '' ? ", {$error}" : '') . '): ' . (is_string($raw) ? $raw : ''));
        }
        return $answer;
    }
}
