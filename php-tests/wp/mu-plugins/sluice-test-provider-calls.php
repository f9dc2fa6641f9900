<?php
/**
 * Plugin Name: Sluice provider call log (TEST ONLY)
 * Description: With the option sluice_test_provider_calls naming a writable file, appends one JSON line per HTTP request that reached the fake AI provider (or that Sluice answered without reaching it), one per Agents API retry announcement with the Sluice slots this process held while it slept, and one per change of a provider's circuit breaker. For the provider protection's tests and make bench-adaptive. Never shipped.
 */

declare(strict_types=1);

defined('ABSPATH') || exit;

(static function (): void {
    $log = get_option('sluice_test_provider_calls', ''); // autoloaded: no query of its own
    if (!is_string($log) || $log === '') {
        return;
    }
    $write = static function (array $row) use ($log): void {
        $row += ['pid' => getmypid(), 'at' => microtime(true)];
        file_put_contents($log, wp_json_encode($row) . "\n", FILE_APPEND | LOCK_EX);
    };
    $isProvider = static fn (string $url): bool => str_starts_with($url, (string) SLUICE_TEST_PROVIDER_URL);
    $started = [];
    // Last, after every filter (Sluice's included): a WP_Error here is Sluice refusing the call.
    add_filter('pre_http_request', static function ($preempt, $args, $url) use ($write, $isProvider, &$started) {
        if (!is_string($url) || !$isProvider($url)) {
            return $preempt;
        }
        if ($preempt instanceof WP_Error) {
            $write(['event' => 'refused', 'message' => $preempt->get_error_message()]);
        } elseif ($preempt === false) {
            $started[$url] = microtime(true);
        }
        return $preempt;
    }, PHP_INT_MAX, 3);
    add_action('http_api_debug', static function ($response, $context, $class, $args, $url) use ($write, $isProvider, &$started): void {
        if (!is_string($url) || !$isProvider($url)) {
            return;
        }
        $headers = is_array($args) && is_array($args['headers'] ?? null) ? $args['headers'] : [];
        $write([
            'event' => 'request',
            'start' => $started[$url] ?? null,
            'status' => is_wp_error($response) ? 0 : (int) wp_remote_retrieve_response_code($response),
            'error' => is_wp_error($response) ? $response->get_error_message() : '',
            'flow' => (string) ($headers['X-Fixture-Flow'] ?? ''),
        ]);
        unset($started[$url]);
    }, PHP_INT_MAX, 5);
    // After Sluice's own listener: what this process still holds while the step sleeps.
    add_action('agents_api_provider_turn_retry', static function ($context) use ($write): void {
        $leases = [];
        $backend = \SluiceWP\Plugin::instance()->backends->backend();
        foreach ($backend?->operatorView()->keys() ?? [] as $key) {
            foreach ($key->holders as $holder) {
                if ($holder->pid === getmypid() && !$holder->reservation) {
                    $leases[$holder->token] = true;
                }
            }
        }
        $write(['event' => 'retry', 'delay' => (float) ($context['delay_seconds'] ?? 0), 'status' => (int) ($context['status'] ?? 0), 'held_slots' => count($leases)]);
    }, PHP_INT_MAX, 1);
    // Sluice's circuit breaker changed (in the process that saw the response that changed it).
    add_action('sluice_provider_circuit', static function ($event, $provider) use ($write): void {
        $write(['event' => 'circuit', 'what' => (string) $event, 'provider' => (string) $provider]);
    }, 10, 2);
})();
