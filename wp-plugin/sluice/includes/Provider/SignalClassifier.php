<?php
/**
 * Reads one provider response (what WordPress's HTTP API hands
 * `http_api_debug`: a response array or a WP_Error) as a Signal: a 2xx is a
 * success (Slowness is judged against the key's baseline by the rules), 429,
 * 503, 529 and other 5xx are congestion, a transport error is a timeout
 * (cURL 28) or a transport failure (connection refused or reset, DNS, TLS),
 * anything else (a 4xx: a bad request or a wrong key) says nothing about
 * capacity. The filter `sluice_provider_signal` may name another Signal
 * value ('success', 'timeout', 'transport', '429', '503', '529', '5xx',
 * 'latency', 'none') for a response, e.g. a provider that reports overload
 * in a 200's body.
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

final class SignalClassifier
{
    /**
     * @param array<string, mixed>|\WP_Error|mixed $response
     * @param array<string, mixed> $args the request's arguments
     */
    public function classify(mixed $response, string $provider, string $url, array $args): Signal
    {
        $signal = $this->read($response);
        $filtered = apply_filters('sluice_provider_signal', $signal->value, $response, $provider, $url, $args);
        return is_string($filtered) ? (Signal::tryFrom($filtered) ?? $signal) : $signal;
    }

    /** A status the Agents API announced a retry with (0: a failure without one, i.e. the transport). */
    public function fromStatus(int $status): Signal
    {
        return $status === 0 ? Signal::Transport : $this->status($status);
    }

    private function read(mixed $response): Signal
    {
        if ($response instanceof \WP_Error) {
            $message = strtolower($response->get_error_message());
            if (preg_match('/curl error (\d+)/', $message, $m) === 1) {
                return (int) $m[1] === 28 ? Signal::Timeout : Signal::Transport;
            }
            foreach (['timed out', 'timeout'] as $needle) {
                if (str_contains($message, $needle)) {
                    return Signal::Timeout;
                }
            }
            foreach (['connection refused', 'failed to connect', 'connection reset', 'could not resolve', 'empty reply', 'ssl', 'network'] as $needle) {
                if (str_contains($message, $needle)) {
                    return Signal::Transport;
                }
            }
            return Signal::Neutral; // e.g. "A valid URL was not provided.": a refusal of WordPress's own, not the provider's
        }
        $status = is_array($response) ? (int) wp_remote_retrieve_response_code($response) : 0;
        return $status === 0 ? Signal::Neutral : $this->status($status);
    }

    private function status(int $status): Signal
    {
        return match (true) {
            $status >= 200 && $status < 300 => Signal::Success,
            $status === 429 => Signal::RateLimited,
            $status === 503 => Signal::Unavailable,
            $status === 529 => Signal::Overloaded,
            $status >= 500 && $status < 600 => Signal::ServerError,
            default => Signal::Neutral,
        };
    }
}
