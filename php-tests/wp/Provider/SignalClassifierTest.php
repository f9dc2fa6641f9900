<?php
declare(strict_types=1);

namespace Sluice\WpTests\Provider;

use PHPUnit\Framework\TestCase;
use SluiceWP\Provider\Signal;
use SluiceWP\Provider\SignalClassifier;

/** Provider responses, as WordPress's HTTP API hands them over, read as signals. */
final class SignalClassifierTest extends TestCase
{
    /** @param int|\WP_Error $response a status, or the transport's error */
    private static function read(int|\WP_Error $response): Signal
    {
        $r = $response instanceof \WP_Error ? $response : ['response' => ['code' => $response, 'message' => ''], 'headers' => [], 'body' => ''];
        return (new SignalClassifier())->classify($r, 'fake', 'https://api.example/v1', []);
    }

    public function testStatusesAndTransportErrors(): void
    {
        self::assertSame(Signal::Success, self::read(200));
        self::assertSame(Signal::RateLimited, self::read(429));
        self::assertSame(Signal::Unavailable, self::read(503));
        self::assertSame(Signal::Overloaded, self::read(529));
        self::assertSame(Signal::ServerError, self::read(500));
        self::assertSame(Signal::ServerError, self::read(502));
        self::assertSame(Signal::Neutral, self::read(400), 'a bad request says nothing about capacity');
        self::assertSame(Signal::Neutral, self::read(401));
        self::assertSame(Signal::Timeout, self::read(new \WP_Error('http_request_failed', 'cURL error 28: Operation timed out after 3001 milliseconds with 0 bytes received')));
        self::assertSame(Signal::Transport, self::read(new \WP_Error('http_request_failed', 'cURL error 7: Failed to connect to 127.0.0.1 port 9: Connection refused')));
        self::assertSame(Signal::Transport, self::read(new \WP_Error('http_request_failed', 'cURL error 56: Recv failure: Connection reset by peer')));
        self::assertSame(Signal::Neutral, self::read(new \WP_Error('http_request_failed', 'A valid URL was not provided.')), 'WordPress\'s own refusal, not the provider\'s');
        self::assertSame(Signal::Transport, (new SignalClassifier())->fromStatus(0));
        self::assertSame(Signal::RateLimited, (new SignalClassifier())->fromStatus(429));
    }

    public function testAFilterClassifiesAResponseAsAnotherSignal(): void
    {
        $filter = static fn (string $signal, $response): string => is_array($response) && ($response['body'] ?? '') === 'overloaded' ? '529' : $signal;
        add_filter('sluice_provider_signal', $filter, 10, 2);
        try {
            $classifier = new SignalClassifier();
            self::assertSame(Signal::Overloaded, $classifier->classify(['response' => ['code' => 200], 'body' => 'overloaded'], 'fake', 'u', []));
            self::assertSame(Signal::Success, $classifier->classify(['response' => ['code' => 200], 'body' => 'fine'], 'fake', 'u', []));
        } finally {
            remove_filter('sluice_provider_signal', $filter, 10);
        }
        add_filter('sluice_provider_signal', $bad = static fn (): string => 'not a signal');
        try {
            self::assertSame(Signal::Success, self::read(200), 'a value that names no signal is ignored');
        } finally {
            remove_filter('sluice_provider_signal', $bad);
        }
    }
}
