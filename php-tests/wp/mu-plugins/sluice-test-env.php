<?php
/**
 * Plugin Name: Sluice test environment (TEST ONLY)
 * Description: Lets the test site's HTTP API reach the fake AI provider on loopback. Never shipped.
 */

declare(strict_types=1);

// wp_safe_remote_* refuses loopback hosts and unusual ports; the fake provider is both.
add_filter('http_request_host_is_external', static function (bool $external, string $host): bool {
    return $external || in_array($host, ['127.0.0.1', 'localhost'], true);
}, 10, 2);
add_filter('http_allowed_safe_ports', static function (array $ports): array {
    $port = (int) wp_parse_url((string) SLUICE_TEST_PROVIDER_URL, PHP_URL_PORT);
    return $port > 0 ? array_merge($ports, [$port]) : $ports;
});
