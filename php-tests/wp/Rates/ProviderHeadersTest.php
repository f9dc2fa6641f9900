<?php
declare(strict_types=1);

namespace Sluice\WpTests\Rates;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use Sluice\WpTests\Gate\ProviderTestCase;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Plugin;
use SluiceWP\Rates\RateObserver;

/**
 * A provider's rate-limit headers, as WordPress's HTTP API hands over its
 * answer, reach the provider's buckets in the extension's segment: the fake
 * provider meters 30 requests and 1,000 tokens a minute and sends OpenAI's
 * x-ratelimit-* headers; a site process calls it the way Data Machine does
 * (as a provider of its own, so the pause it leaves in the segment holds back
 * no other test's steps).
 */
final class ProviderHeadersTest extends ProviderTestCase
{
    /** A provider name of this run: a pause left in the segment by an earlier run holds back nothing here. */
    private static string $provider = '';

    private static function callProvider(): void
    {
        $call = Runner::php('require ' . var_export(Site::loader(), true) . ';
            add_filter("sluice_provider_for_request", static fn () => $provider); // buckets of their own: the gate tests budget "fake"
            apply_filters("datamachine_wp_ai_client_request_timeout", 5.0, "chat", "fake", "fake-model", []);
            $r = wp_safe_remote_post(SLUICE_TEST_PROVIDER_URL . "/v1/chat/completions", ["timeout" => 5,
                "headers" => ["Content-Type" => "application/json"], "body" => "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"]);
            echo is_wp_error($r) ? $r->get_error_message() : wp_remote_retrieve_response_code($r), "\n";', ['provider' => self::$provider]);
        self::assertSame(0, $call->wait(30), $call->output());
        self::assertStringContainsString('200', $call->output());
    }

    /** @return array<string, mixed> the bucket as the extension keeps it */
    private static function bucket(string $kind): array
    {
        $key = self::gateKeys()->budget($kind, self::$provider, false);
        $all = \Sluice\key_rates();
        self::assertArrayHasKey($key, $all, "the provider's headers reached {$key}");
        return $all[$key];
    }

    public function testTheHeadersOfAnAnswerSetTheProvidersBuckets(): void
    {
        self::$provider = 'headers-' . bin2hex(random_bytes(3));
        self::sluice(['provider_limits' => [self::$provider => 2]]);
        Provider::reset(latencyMs: 50);
        Provider::configure(['rpm_limit' => 30, 'tpm_limit' => 1000, 'rate_headers' => true]);
        self::callProvider();
        $rpm = self::bucket('rpm');
        // 30 a minute: a burst of 1.5 and 28.5 more over 60 s (burst + rate x 60 = 30), learned since no budget is set.
        self::assertEqualsWithDelta(1.5, $rpm['learned_burst'], 1e-9);
        self::assertEqualsWithDelta(28.5 / 60, $rpm['learned_rate'], 1e-9);
        self::assertSame(0, $rpm['paused_ms'], '29 requests are left: no pause');
        $tpm = self::bucket('tpm');
        self::assertEqualsWithDelta(50.0, $tpm['learned_burst'], 1e-9, 'a twentieth of 1,000 tokens');

        // The budget used up: nothing is left until one request's worth comes back (60 s for 1 of 1).
        Provider::reset(latencyMs: 50);
        Provider::configure(['rpm_limit' => 1, 'tpm_limit' => 0, 'rate_headers' => true]);
        self::callProvider();
        self::assertGreaterThan(50_000, self::bucket('rpm')['paused_ms'], 'paused until the provider has a request for us again');
    }

    public function testMalformedHeadersAreIgnoredWithALogLine(): void
    {
        $log = tempnam(sys_get_temp_dir(), 'sluice-rates-log-');
        $before = ini_set('error_log', $log);
        try {
            $observer = Plugin::instance()->rateObserver();
            self::assertInstanceOf(RateObserver::class, $observer, 'the native backend keeps buckets');
            $observer->responded('malformed', ['headers' => ['x-ratelimit-remaining-requests' => 'lots', 'retry-after' => 'soon'],
                'body' => '', 'response' => ['code' => 200, 'message' => 'OK'], 'cookies' => [], 'filename' => null]);
            $observer->responded('malformed', new \WP_Error('http_request_failed', 'cURL error 7'));
            $logged = (string) file_get_contents($log);
            self::assertStringContainsString('ignored malformed rate-limit headers of AI provider "malformed": x-ratelimit-remaining-requests: lots; retry-after: soon', $logged);
        } finally {
            ini_set('error_log', (string) $before);
            @unlink($log);
        }
        self::assertArrayNotHasKey(KeyNames::forBlog()->budget('rpm', 'malformed', false), \Sluice\key_rates(), 'nothing readable: no bucket');
    }
}
