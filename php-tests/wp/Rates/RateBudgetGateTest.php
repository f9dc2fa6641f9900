<?php
declare(strict_types=1);

namespace Sluice\WpTests\Rates;

use Sluice\Support\WordPress\Site;
use Sluice\WpTests\Gate\GateTestCase;
use SluiceWP\Rates\ExpectedTokens;
use SluiceWP\Rates\RequestTokens;

/**
 * A requests-per-minute budget through the gate, on the native backend: the
 * slots are free (site and provider limit 4) but the provider's budget is 3
 * requests a minute (a burst of 1, then one every 30 s), so of 4 AI steps run
 * by one queue runner the first is admitted and the others are deferred with
 * reason rate_budget, each until the bucket will have refilled (30 s, more
 * for the steps the line counts ahead of it); none fails.
 * Before the budget was taken with the slots, all 4 ran at once.
 */
final class RateBudgetGateTest extends GateTestCase
{
    public function testStepsPastTheBudgetAreDeferredUntilItRefillsAndNoneFails(): void
    {
        Site::configure([], [], ['site_limit' => 4, 'provider_limits' => ['fake' => 4], 'rpm_limits' => ['fake' => 3]]);
        $rpm = self::gateKeys()->budget('rpm', 'fake', false);
        \Sluice\bucket_adjust($rpm, 1e6); // full, whatever an earlier run left in the segment
        datamachine_fixture_start_flow('rb', 4);
        self::runQueueOnce();

        self::assertCount(1, Site::aiRuns(), 'one request of the budget was there; the others wait for it to refill');
        $deferrals = Site::deferrals();
        self::assertCount(3, $deferrals, 'each step past the budget deferred once in this run');
        $delays = [];
        foreach ($deferrals as $d) {
            self::assertSame('rate_budget', $d['reason']);
            self::assertSame($rpm, $d['lease_key']);
            $delays[] = (int) $d['delay_s'];
        }
        // The bucket holds the next request in 30 s: never sooner; later by 30 s for each ticket the line counts ahead
        // of it (at most the 2 others here), plus up to a quarter of jitter.
        foreach ($delays as $delay) {
            self::assertGreaterThanOrEqual(29, $delay, 'deferred until the bucket will have refilled: ' . implode(', ', $delays));
            self::assertLessThanOrEqual(114, $delay, implode(', ', $delays));
        }
        self::assertArrayNotHasKey('failed', Site::actionStatuses('datamachine_execute_step'), 'nothing failed');
        self::assertSame(3, Site::unfinishedJobs(), 'three jobs wait for their AI step, none was lost');
        self::assertEqualsWithDelta(2 / 60, \Sluice\key_rates()[$rpm]['rate'], 1e-9, 'a burst of 1 and 2 more over the minute');
        self::assertSame('', Site::sluiceErrors());
    }

    /**
     * No budget set for the provider, but its headers announced one (3 a minute, a burst of 1): the gate takes
     * that one. Before, a budget learned from the headers was recorded and not taken: all 3 steps ran.
     */
    public function testABudgetTheProviderAnnouncedHoldsBackStepsOfAProviderWithoutOneSet(): void
    {
        $provider = 'learned-' . bin2hex(random_bytes(3)); // a bucket of its own: no earlier run's level
        Site::configure([], [], ['site_limit' => 4, 'provider_limits' => [$provider => 4]]);
        $rpm = self::gateKeys()->budget('rpm', $provider, false);
        \Sluice\bucket_observe($rpm, ['pause_ms' => 0, 'learned_rate' => 3 / 60, 'learned_burst' => 1.0]);
        datamachine_fixture_start_flow('lb', 3, [], ['default_provider' => $provider]);
        self::runQueueOnce();

        self::assertCount(1, Site::aiRuns(), 'the learned burst of 1');
        $deferrals = Site::deferrals();
        self::assertCount(2, $deferrals);
        foreach ($deferrals as $d) {
            self::assertSame(['rate_budget', $rpm], [$d['reason'], $d['lease_key']]);
        }
        self::assertSame(0.0, \Sluice\key_rates()[$rpm]['rate'], 'taken under the learned budget, none of its own');
        self::assertSame('', Site::sluiceErrors());
    }

    /**
     * A step is charged its provider's expected tokens at admission (here 3,000, far above the tokens-per-minute
     * bucket's burst of 30: it waits for a full bucket and leaves a debt), and its answer, which used far fewer,
     * refunds the difference. Before, a step took one token and its answer charged all it used.
     */
    public function testAnAnswerThatUsedFewerTokensThanChargedRefundsThem(): void
    {
        $provider = 'refund-' . bin2hex(random_bytes(3));
        Site::configure([], [], ['site_limit' => 4, 'provider_limits' => [$provider => 4], 'tpm_limits' => [$provider => 600]]);
        update_option(ExpectedTokens::OPTION, [$provider => 3000], false);
        $tpm = self::gateKeys()->budget('tpm', $provider, false);
        datamachine_fixture_start_flow('rf', 1, [], ['default_provider' => $provider]);
        self::runQueueOnce();

        self::assertCount(1, Site::aiRuns());
        $bucket = \Sluice\key_rates()[$tpm];
        self::assertGreaterThanOrEqual(3000.0, $bucket['tokens_taken'], 'charged the expected 3,000 at admission');
        self::assertGreaterThan(-500.0, $bucket['level'], 'the answer used far fewer: refunded (without the refund: about -2,970 plus a few seconds of refill)');
        wp_cache_delete(ExpectedTokens::OPTION, 'options'); // the runner wrote it: read it fresh
        wp_cache_delete('alloptions', 'options');
        wp_cache_delete('notoptions', 'options');
        self::assertLessThan(3000.0, ExpectedTokens::forProvider($provider), 'the average moved towards what was used');
        self::assertSame('', Site::sluiceErrors());
    }

    /**
     * A step's request is charged its own estimate before it goes out (its prompt plus the most it may answer,
     * here max_tokens 4,000), in place of the provider's running average charged at admission (1 token: none
     * seen yet), and its answer, which used a few, refunds the rest. Before, the request was charged nothing
     * until its answer: the bucket took 1 token for a step that could use 4,000.
     */
    public function testARequestIsChargedItsPromptAndMaxTokensBeforeItGoesOut(): void
    {
        $provider = 'estimate-' . bin2hex(random_bytes(3));
        Site::configure([], ['max_tokens' => 4000], ['site_limit' => 4, 'provider_limits' => [$provider => 4], 'tpm_limits' => [$provider => 600]]);
        update_option(ExpectedTokens::OPTION, [], false);
        $tpm = self::gateKeys()->budget('tpm', $provider, false);
        datamachine_fixture_start_flow('est', 1, [], ['default_provider' => $provider]);
        self::runQueueOnce();

        self::assertCount(1, Site::aiRuns());
        $bucket = \Sluice\key_rates()[$tpm];
        self::assertGreaterThanOrEqual(4000.0, $bucket['tokens_taken'], 'charged the request\'s max_tokens before it went out');
        self::assertGreaterThan(-500.0, $bucket['level'], 'the answer used a few: the rest refunded');
        self::assertSame('', Site::sluiceErrors());
    }

    public function testARequestsTokensAreEstimatedFromItsBody(): void
    {
        $chat = json_encode(['model' => 'm', 'max_tokens' => 100, 'messages' => [['role' => 'system', 'content' => str_repeat('a', 40)], ['role' => 'user', 'content' => [['type' => 'text', 'text' => str_repeat('b', 40)], ['type' => 'image_url', 'image_url' => ['url' => str_repeat('c', 400)]]]]]]);
        self::assertSame(20 + 100, RequestTokens::estimate($chat), 'OpenAI chat: 80 characters of text (not the image) and max_tokens');
        self::assertSame(5 + 50, RequestTokens::estimate(['system' => str_repeat('s', 8), 'messages' => [['role' => 'user', 'content' => str_repeat('u', 12)]], 'max_tokens' => 50]), 'Anthropic: system and messages');
        self::assertSame(3 + 7, RequestTokens::estimate(json_encode(['input' => 'hello world', 'max_output_tokens' => 7])), 'Responses API');
        self::assertSame(2 + 9, RequestTokens::estimate(json_encode(['contents' => [['parts' => [['text' => 'hi there']]]], 'generationConfig' => ['maxOutputTokens' => 9]])), 'Gemini');
        self::assertSame(30, RequestTokens::estimate(json_encode(['messages' => [], 'max_completion_tokens' => 30])), 'max_completion_tokens alone');
        self::assertNull(RequestTokens::estimate('{not json'), 'malformed: the admission charge stands');
        self::assertNull(RequestTokens::estimate(json_encode(['model' => 'm'])), 'neither prompt nor max tokens');
        self::assertNull(RequestTokens::estimate(null));
    }
}
