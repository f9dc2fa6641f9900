<?php
/**
 * The rate budgets' WordPress hooks: each request of a running AI step to its
 * provider (`sluice_provider_requesting`, before it goes out) and each answer of an AI provider (the
 * provider protection recognises the calls and announces each answer with
 * `sluice_provider_answered`, from WordPress's HTTP API's http_api_debug:
 * WordPress 7's AI client keeps no headers, so that is where they are seen)
 * reaches RateObserver.
 */

declare(strict_types=1);

namespace SluiceWP\Rates;

defined('ABSPATH') || exit;

final class RateHooks
{
    /** @param \Closure(): ?RateObserver $observer this request's (null while no store keeps buckets) */
    public function __construct(private readonly \Closure $observer)
    {
    }

    public function init(): void
    {
        // A step's charge that no answer settled (a timeout, a step that sent nothing) is never settled against
        // the next step a long-lived runner takes.
        add_action('sluice_lease_released', [TokenCharges::class, 'stepEnded'], 10, 0);
        add_action('sluice_provider_requesting', function ($provider, $body): void {
            try {
                ($this->observer)()?->requesting(is_string($provider) ? $provider : '', $body);
            } catch (\Throwable $e) {
                error_log('Sluice: error while charging an AI request\'s expected tokens (the AI step carries on): ' . $e->getMessage());
            }
        }, 10, 2);
        add_action('sluice_provider_answered', function ($provider, $response): void {
            try {
                ($this->observer)()?->responded(is_string($provider) ? $provider : '', $response);
            } catch (\Throwable $e) {
                error_log('Sluice: error while reading an AI provider\'s rate-limit headers (the AI step carries on): ' . $e->getMessage());
            }
        }, 10, 2);
    }
}
