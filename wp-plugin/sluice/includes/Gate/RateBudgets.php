<?php
/**
 * The rate budgets one AI step takes with its slots, in the same
 * all-or-nothing call: a request of its provider's requests-per-minute
 * budget (bucket "rpm:<provider>", setting rpm_limits), while its
 * tokens-per-minute budget has the tokens the step is expected to use
 * ("tpm:<provider>", tpm_limits; Rates\ExpectedTokens, corrected by its
 * answer's usage, Rates\RateObserver), and a start of
 * the host's AI steps per second ("sluice/qps", qps_limit). Where the operator
 * set no rpm or tpm budget for the provider, the budget its rate-limit headers
 * announced is taken (rate 0: the store's learned budget); a provider's pause
 * (its retry-after, or a budget its headers say is used up) holds back every
 * take of a bucket taken here.
 * The stores that keep buckets: Backend\RateBuckets (native, database, Redis).
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Rates\ExpectedTokens;
use SluiceWP\Rates\MinuteBudget;
use SluiceWP\Rates\TokenCharges;
use SluiceWP\Settings\Config;

defined('ABSPATH') || exit;

final class RateBudgets
{
    public function __construct(private readonly Config $config, private readonly KeyNames $keys)
    {
    }

    /** @return array<string, array{rate: float, burst: float, tokens: float}> bucket key => its budget and this step's take */
    public function bucketsFor(AiWork $work): array
    {
        $buckets = [];
        if ($work->provider !== '') {
            $hostWide = $this->config->providerKeyIsHostWide($work->provider);
            foreach (['rpm' => $this->config->rpmLimit($work->provider), 'tpm' => $this->config->tpmLimit($work->provider)] as $kind => $perMinute) {
                // No budget set: rate 0, the store takes it under the budget the provider's headers announced
                // (none learned yet: only a pause the provider asked for holds the step back).
                [$rate, $burst] = $perMinute > 0 ? MinuteBudget::bucket((float) min($perMinute, 1_000_000_000)) : [0.0, 0.0];
                // A request; the tokens the step is expected to use (corrected after its answer, RateObserver).
                $tokens = $kind === 'tpm' ? ExpectedTokens::forProvider($work->provider) : 1.0;
                $buckets[$this->keys->budget($kind, $work->provider, $hostWide)] = ['rate' => $rate, 'burst' => $burst, 'tokens' => $tokens];
            }
        }
        $qps = min($this->config->qpsLimit(), 1e9);
        if ($qps > 0) {
            $buckets[KeyNames::qps()] = ['rate' => $qps, 'burst' => max(1.0, $qps), 'tokens' => 1.0];
        }
        return $buckets;
    }

    /**
     * The step was admitted with these buckets: what it took from the tpm ones is remembered until its answer
     * settles it.
     *
     * @param array<string, array{rate: float, burst: float, tokens: float}> $buckets
     */
    public function taken(array $buckets): void
    {
        foreach ($buckets as $key => $take) {
            if (KeyNames::isBudget((string) $key) && str_contains((string) $key, 'tpm:')) {
                TokenCharges::charged((string) $key, $take['tokens']);
            }
        }
    }
}
