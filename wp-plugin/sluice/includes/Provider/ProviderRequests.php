<?php
/**
 * Which HTTP requests are calls to an AI provider, and to which one. In this
 * order: the filter `sluice_provider_for_request` (a provider slug, or false
 * for "not a provider call"); the plugin that is about to make the call said
 * so (Data Machine announces each provider request through its request
 * timeout filter, with its provider and mode: DataMachineHooks calls
 * expect()); WordPress's AI client (WordPress 7) is generating a result
 * (between its before/after generate-result events: that model's provider,
 * the first host it calls); the request's host is a known provider API
 * (api.openai.com, api.anthropic.com, ...; filter `sluice_provider_hosts`
 * adds "host" or "host:port" => provider). Anything else is not a provider
 * call. The mode (pipeline, chat, ...) comes from the announcing plugin,
 * else "ai-client" or "other"; filter `sluice_ai_call_mode`.
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

final class ProviderRequests
{
    /** An announcement older than this is stale (its request was served from a cache, or never made). */
    private const EXPECT_SECONDS = 10.0;

    /** The public APIs of the providers WordPress's AI client and Data Machine talk to. */
    private const KNOWN_HOSTS = [
        'api.openai.com' => 'openai',
        'api.anthropic.com' => 'anthropic',
        'generativelanguage.googleapis.com' => 'google',
        'api.mistral.ai' => 'mistral',
        'api.groq.com' => 'groq',
        'openrouter.ai' => 'openrouter',
        'api.x.ai' => 'xai',
        'api.deepseek.com' => 'deepseek',
        'api.cohere.com' => 'cohere',
        'api.together.xyz' => 'together',
        'api.perplexity.ai' => 'perplexity',
    ];

    /** @var array{provider: string, mode: string, at: float}|null */
    private ?array $expected = null;
    /** @var array{provider: string, host: ?string}|null */
    private ?array $aiClient = null;

    /** The next provider request of this process is $provider's, in $mode (an announcing plugin). */
    public function expect(string $provider, string $mode): void
    {
        $provider = sanitize_key($provider);
        if ($provider !== '') {
            $this->expected = ['provider' => $provider, 'mode' => sanitize_key($mode) ?: 'other', 'at' => microtime(true)];
        }
    }

    /** WordPress's AI client starts generating a result with a model of $provider. */
    public function aiClientStarted(string $provider): void
    {
        $provider = sanitize_key($provider);
        $this->aiClient = $provider !== '' ? ['provider' => $provider, 'host' => null] : null;
    }

    public function aiClientEnded(): void
    {
        $this->aiClient = null;
    }

    /** @param array<string, mixed> $args */
    public function recognise(string $url, array $args): ?ProviderCall
    {
        $host = self::host($url);
        $filtered = apply_filters('sluice_provider_for_request', null, $url, $args);
        if ($filtered === false) {
            return null;
        }
        $call = null;
        if (is_string($filtered) && sanitize_key($filtered) !== '') {
            $call = new ProviderCall(sanitize_key($filtered), $this->takeExpected()['mode'] ?? 'other');
        } elseif (($expected = $this->takeExpected()) !== null) {
            $call = new ProviderCall($expected['provider'], $expected['mode']);
        } elseif ($this->aiClient !== null && ($this->aiClient['host'] === null || $this->aiClient['host'] === $host)) {
            $this->aiClient['host'] = $host; // the model's API: later requests of this generation to other hosts are not
            $call = new ProviderCall($this->aiClient['provider'], 'ai-client');
        } else {
            $hosts = $this->hosts();
            $provider = $hosts[$host] ?? $hosts[explode(':', $host)[0]] ?? null;
            $call = $provider !== null ? new ProviderCall($provider, 'other') : null;
        }
        if ($call === null) {
            return null;
        }
        $mode = apply_filters('sluice_ai_call_mode', $call->mode, $call->provider, $url);
        return is_string($mode) && sanitize_key($mode) !== '' && sanitize_key($mode) !== $call->mode ? new ProviderCall($call->provider, sanitize_key($mode)) : $call;
    }

    /** @return array{provider: string, mode: string, at: float}|null the announcement, if fresh (taken once) */
    private function takeExpected(): ?array
    {
        $expected = $this->expected;
        $this->expected = null;
        return $expected !== null && microtime(true) - $expected['at'] <= self::EXPECT_SECONDS ? $expected : null;
    }

    /** @return array<string, string> host or host:port => provider */
    private function hosts(): array
    {
        $hosts = apply_filters('sluice_provider_hosts', self::KNOWN_HOSTS);
        return is_array($hosts) ? array_map(static fn ($p): string => sanitize_key((string) $p), array_change_key_case($hosts)) : self::KNOWN_HOSTS;
    }

    /** "host" or "host:port" when the URL names a port. */
    private static function host(string $url): string
    {
        $parts = wp_parse_url($url);
        $host = strtolower((string) ($parts['host'] ?? ''));
        return isset($parts['port']) ? $host . ':' . (int) $parts['port'] : $host;
    }
}
