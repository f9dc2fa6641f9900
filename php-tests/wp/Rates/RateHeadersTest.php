<?php
declare(strict_types=1);

namespace Sluice\WpTests\Rates;

use PHPUnit\Framework\TestCase;
use SluiceWP\Rates\Durations;
use SluiceWP\Rates\RateHeaders;

/**
 * The providers' rate-limit headers as they send them (OpenAI and compatible
 * APIs, Azure OpenAI, Anthropic, retry-after), and malformed ones: left out
 * and named, never a guess and never an exception.
 */
final class RateHeadersTest extends TestCase
{
    private const NOW_MS = 1_796_580_000_000; // 2026-12-06T18:00:00Z

    public function testGoDurationsAsOpenAiSendsThem(): void
    {
        self::assertSame(12, Durations::goDuration('12ms'));
        self::assertSame(6000, Durations::goDuration('6s'));
        self::assertSame(63000, Durations::goDuration('1m3s'));
        self::assertSame(2500, Durations::goDuration('2.5s'));
        self::assertSame(3_723_000, Durations::goDuration('1h2m3s'));
        self::assertSame(0, Durations::goDuration('0'));
        self::assertSame(1, Durations::goDuration('500us'));
        foreach (['', '12', 's', '1x', '-5s', '5 s', '1m3', 'ms12', '1.2.3s', 'NaN'] as $bad) {
            self::assertNull(Durations::goDuration($bad), "'$bad' is not a duration");
        }
        self::assertSame(86_400_000, Durations::goDuration('9999h'), 'nothing longer than a day');
    }

    public function testOpenAiHeaders(): void
    {
        $r = RateHeaders::read([
            'X-RateLimit-Limit-Requests' => '30',
            'x-ratelimit-remaining-requests' => '29',
            'x-ratelimit-reset-requests' => '2s',
            'x-ratelimit-limit-tokens' => '12000',
            'x-ratelimit-remaining-tokens' => '11400',
            'x-ratelimit-reset-tokens' => '1m3s',
        ], self::NOW_MS);
        self::assertSame([30, 29, 2000], [$r->requests?->limit, $r->requests?->remaining, $r->requests?->resetMs]);
        self::assertSame([12000, 11400, 63000], [$r->tokens?->limit, $r->tokens?->remaining, $r->tokens?->resetMs]);
        self::assertNull($r->retryAfterMs);
        self::assertSame([], $r->ignored);
    }

    public function testAnthropicHeadersWithRfc3339Resets(): void
    {
        $r = RateHeaders::read([
            'anthropic-ratelimit-requests-limit' => '50',
            'anthropic-ratelimit-requests-remaining' => '0',
            'anthropic-ratelimit-requests-reset' => '2026-12-06T18:00:30Z',
            'anthropic-ratelimit-input-tokens-limit' => '40000',
            'anthropic-ratelimit-input-tokens-remaining' => '39000',
            'anthropic-ratelimit-input-tokens-reset' => '2026-12-06T19:00:01.500+01:00',
            'retry-after' => '30',
        ], self::NOW_MS);
        self::assertSame([50, 0, 30000], [$r->requests?->limit, $r->requests?->remaining, $r->requests?->resetMs]);
        self::assertSame([40000, 39000, 1500], [$r->tokens?->limit, $r->tokens?->remaining, $r->tokens?->resetMs]);
        self::assertSame(30000, $r->retryAfterMs);
        $past = RateHeaders::read(['anthropic-ratelimit-tokens-reset' => '2026-12-06T17:59:00Z'], self::NOW_MS);
        self::assertSame(0, $past->tokens?->resetMs, 'a reset in the past is now');
    }

    public function testAzuresMinusOneAndZeroMeanUnknown(): void
    {
        $r = RateHeaders::read(['x-ratelimit-remaining-requests' => '-1', 'x-ratelimit-remaining-tokens' => '0', 'x-ratelimit-limit-tokens' => '0'], self::NOW_MS);
        self::assertNull($r->requests, 'remaining -1: unknown');
        self::assertNull($r->tokens, 'remaining 0 with a limit of 0 and no reset: unknown');
        self::assertTrue($r->isEmpty());
        self::assertSame([], $r->ignored, 'unknown is not malformed');
        $real = RateHeaders::read(['x-ratelimit-limit-requests' => '10', 'x-ratelimit-remaining-requests' => '0', 'x-ratelimit-reset-requests' => '6s'], self::NOW_MS);
        self::assertSame(0, $real->requests?->remaining, 'with a limit and a reset, 0 is 0');
    }

    public function testRetryAfterAsSecondsAnHttpDateOrMilliseconds(): void
    {
        self::assertSame(1500, RateHeaders::read(['retry-after' => '1.5'], self::NOW_MS)->retryAfterMs);
        self::assertSame(20000, RateHeaders::read(['Retry-After' => 'Sun, 06 Dec 2026 18:00:20 GMT'], self::NOW_MS)->retryAfterMs);
        self::assertSame(750, RateHeaders::read(['retry-after-ms' => '750', 'retry-after' => '9'], self::NOW_MS)->retryAfterMs);
        self::assertSame(40, RateHeaders::read(['retry-after' => ['9', '0.04']], self::NOW_MS)->retryAfterMs, 'a repeated header: the last one');
    }

    public function testMalformedHeadersAreLeftOutAndNamedNeverAGuess(): void
    {
        $r = RateHeaders::read([
            'x-ratelimit-limit-requests' => 'thirty',
            'x-ratelimit-remaining-requests' => '12',
            'x-ratelimit-reset-requests' => '2 seconds',
            'x-ratelimit-remaining-tokens' => '1e5',
            'anthropic-ratelimit-requests-reset' => 'tomorrow',
            'retry-after' => 'soon',
            'x-unrelated' => 'whatever',
        ], self::NOW_MS);
        self::assertSame(12, $r->requests?->remaining, 'what was readable stays');
        self::assertNull($r->requests?->limit);
        self::assertNull($r->requests?->resetMs);
        self::assertNull($r->tokens);
        self::assertNull($r->retryAfterMs);
        self::assertSame([
            'x-ratelimit-limit-requests: thirty',
            'x-ratelimit-reset-requests: 2 seconds',
            'x-ratelimit-remaining-tokens: 1e5',
            'retry-after: soon',
        ], $r->ignored);
        $weird = RateHeaders::read([5 => '1', 'x-ratelimit-limit-requests' => ['a' => ['nested']], 'x-ratelimit-remaining-requests' => str_repeat('9', 400)], self::NOW_MS);
        self::assertNull($weird->requests?->remaining, 'an absurdly long number is malformed');
        self::assertCount(1, $weird->ignored);
        self::assertSame(strlen('x-ratelimit-remaining-requests: ') + 80, strlen($weird->ignored[0]), 'named, cut short');
    }

    public function testNoHeadersReadNothing(): void
    {
        self::assertTrue(RateHeaders::read([], self::NOW_MS)->isEmpty());
        self::assertTrue(RateHeaders::read(['content-type' => 'application/json'], self::NOW_MS)->isEmpty());
    }
}
