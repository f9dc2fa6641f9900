<?php
/**
 * Before each request of a running AI step: charges the tokens it may use
 * (RequestTokens) in place of the admission's expectation. After each answer
 * of an AI provider: reads its rate-limit headers
 * (RateHeaders) and tells the provider's buckets what they say (ProviderWord)
 * in the store that keeps buckets (Backend\RateBuckets), and charges the
 * tokens the answer used to the provider's tokens-per-minute bucket less what
 * the step was charged at admission (TokenCharges: a refund when it used
 * fewer; under the budget set, or the one its headers announced), and moves
 * the provider's expected tokens per step (ExpectedTokens). A malformed header
 * is left out and named in the error log; nothing here may fail the request
 * that was answered.
 */

declare(strict_types=1);

namespace SluiceWP\Rates;

use SluiceWP\Backend\RateBuckets;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Settings\Config;

defined('ABSPATH') || exit;

final class RateObserver
{
    public function __construct(
        private readonly RateBuckets $buckets,
        private readonly KeyNames $keys,
        private readonly Config $config,
    ) {
    }

    /**
     * A running step's request is about to go to its provider: the tokens charged for it at admission (the
     * provider's running average: the request did not exist yet) become its own estimate (RequestTokens: its
     * prompt plus the most it may answer), the difference refunded or charged more, so a step that may use more
     * than the average holds the next admissions back before the provider counts it. A retry of the step, whose
     * admission charge its first answer settled already, is charged its estimate. Its answer settles the charge.
     *
     * @param mixed $body the request's body (WordPress's HTTP API's $args['body'])
     */
    public function requesting(string $provider, mixed $body): void
    {
        $estimate = $provider === '' ? null : RequestTokens::estimate($body);
        if ($estimate === null) {
            return;
        }
        $tpmKey = $this->keys->budget('tpm', $provider, $this->config->providerKeyIsHostWide($provider));
        $difference = TokenCharges::settle($tpmKey) - $estimate;
        if ($difference != 0) {
            $this->buckets->adjustBucket($tpmKey, $difference);
        }
        TokenCharges::charged($tpmKey, $estimate);
    }

    /** @param mixed $response what WordPress's HTTP API answered (an array, or a WP_Error for a transport failure) */
    public function responded(string $provider, mixed $response): void
    {
        if (!is_array($response) || $provider === '') {
            return; // a transport failure carries no headers
        }
        $headers = wp_remote_retrieve_headers($response);
        $reading = RateHeaders::read(is_iterable($headers) ? $headers : [], (int) floor(microtime(true) * 1000));
        if ($reading->ignored !== []) {
            error_log(sprintf('Sluice: ignored malformed rate-limit headers of AI provider "%s": %s', $provider, implode('; ', $reading->ignored)));
        }
        $hostWide = $this->config->providerKeyIsHostWide($provider);
        $tpmKey = $this->keys->budget('tpm', $provider, $hostWide);
        // What the step was charged at admission is settled against what its answer used: the difference is
        // charged more or refunded, under the budget set or the one the provider announced.
        $used = ResponseTokens::used((string) wp_remote_retrieve_body($response));
        if ($used !== null) {
            $used = min($used, 1_000_000_000);
            $difference = TokenCharges::settle($tpmKey) - $used;
            if ($difference != 0) {
                $this->buckets->adjustBucket($tpmKey, $difference);
            }
            ExpectedTokens::answered($provider, $used);
        }
        if ($reading->isEmpty()) {
            return;
        }
        $words = ProviderWord::words($reading, $this->keys->budget('rpm', $provider, $hostWide), $tpmKey,
            $this->config->rpmLimit($provider) > 0, $this->config->tpmLimit($provider) > 0);
        foreach ($words as $key => $word) {
            $this->buckets->observeBucket($key, $word);
        }
    }
}
