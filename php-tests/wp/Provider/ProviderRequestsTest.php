<?php
declare(strict_types=1);

namespace Sluice\WpTests\Provider;

use PHPUnit\Framework\TestCase;
use SluiceWP\Provider\ProviderCall;
use SluiceWP\Provider\ProviderRequests;

/** Which HTTP requests are calls to an AI provider, and whose. */
final class ProviderRequestsTest extends TestCase
{
    private static function call(ProviderRequests $requests, string $url): ?array
    {
        $call = $requests->recognise($url, []);
        return $call instanceof ProviderCall ? [$call->provider, $call->mode] : null;
    }

    public function testKnownProviderHostsAndOthers(): void
    {
        $requests = new ProviderRequests();
        self::assertSame(['openai', 'other'], self::call($requests, 'https://api.openai.com/v1/chat/completions'));
        self::assertSame(['anthropic', 'other'], self::call($requests, 'https://api.anthropic.com/v1/messages'));
        self::assertNull(self::call($requests, 'https://example.org/feed'));
        add_filter('sluice_provider_hosts', $hosts = static fn (array $h): array => $h + ['127.0.0.1:9999' => 'Local-LLM']);
        try {
            self::assertSame(['local-llm', 'other'], self::call($requests, 'http://127.0.0.1:9999/v1/chat/completions'));
            self::assertNull(self::call($requests, 'http://127.0.0.1:8080/'), 'the port is part of it');
        } finally {
            remove_filter('sluice_provider_hosts', $hosts);
        }
    }

    public function testAnAnnouncedCallIsTheNextRequestOnly(): void
    {
        $requests = new ProviderRequests();
        $requests->expect('Fake', 'chat');
        self::assertSame(['fake', 'chat'], self::call($requests, 'http://127.0.0.1:1/v1/chat/completions'));
        self::assertNull(self::call($requests, 'http://127.0.0.1:1/v1/chat/completions'), 'taken once');
    }

    public function testTheAiClientsGenerationCallsItsModelsProviderAtOneHost(): void
    {
        $requests = new ProviderRequests();
        $requests->aiClientStarted('google');
        self::assertSame(['google', 'ai-client'], self::call($requests, 'https://llm.internal/v1/generate'));
        self::assertSame(['google', 'ai-client'], self::call($requests, 'https://llm.internal/v1/generate'));
        self::assertNull(self::call($requests, 'https://example.org/image.png'), 'a tool fetching a page is not the provider');
        $requests->aiClientEnded();
        self::assertNull(self::call($requests, 'https://llm.internal/v1/generate'));
    }

    public function testFiltersHaveTheLastWord(): void
    {
        $requests = new ProviderRequests();
        add_filter('sluice_provider_for_request', $not = static fn ($p, string $url) => str_contains($url, 'openai') ? false : $p, 10, 2);
        add_filter('sluice_ai_call_mode', $mode = static fn (string $m, string $provider): string => $provider === 'mine' ? 'images' : $m, 10, 2);
        add_filter('sluice_provider_for_request', $mine = static fn ($p, string $url) => str_contains($url, 'mine.example') ? 'mine' : $p, 11, 2);
        try {
            self::assertNull(self::call($requests, 'https://api.openai.com/v1/images'), 'false: not a provider call');
            self::assertSame(['mine', 'images'], self::call($requests, 'https://mine.example/v1'));
        } finally {
            remove_filter('sluice_provider_for_request', $not, 10);
            remove_filter('sluice_provider_for_request', $mine, 11);
            remove_filter('sluice_ai_call_mode', $mode, 10);
        }
    }
}
