<?php
declare(strict_types=1);

namespace Sluice\WpTests\Rates;

use PHPUnit\Framework\TestCase;
use SluiceWP\Rates\ExpectedTokens;
use SluiceWP\Rates\TokenCharges;

/**
 * The tokens a step is charged at admission (the provider's running average
 * of recent answers) and the ledger that settles that charge against the
 * answer's usage.
 */
final class ExpectedTokensTest extends TestCase
{
    protected function tearDown(): void
    {
        delete_option(ExpectedTokens::OPTION);
    }

    public function testTheRunningAverageStartsAtTheFirstAnswerAndMovesAFifthTowardsEachNext(): void
    {
        self::assertSame(400.0, ExpectedTokens::average(null, 400));
        self::assertSame(480.0, ExpectedTokens::average(400.0, 800), '400 + (800 - 400) / 5');
        self::assertSame(384.0, ExpectedTokens::average(480.0, 0));
        self::assertSame(0.0, ExpectedTokens::average(null, -5), 'a negative count is none');
        $average = null;
        for ($i = 0; $i < 40; $i++) {
            $average = ExpectedTokens::average($average, $i % 2 === 0 ? 100 : 300);
        }
        self::assertEqualsWithDelta(200.0, $average, 15.0, 'answers alternating 100 and 300 average about 200');
    }

    public function testAProviderWithoutAnswersIsChargedOneTokenThenItsAverage(): void
    {
        $provider = 'expect-' . bin2hex(random_bytes(3));
        self::assertSame(1.0, ExpectedTokens::forProvider($provider), 'nothing known: a token, as before');
        ExpectedTokens::answered($provider, 1000);
        ExpectedTokens::answered($provider, 500);
        self::assertSame(900.0, ExpectedTokens::forProvider($provider));
        self::assertSame(1.0, ExpectedTokens::forProvider('other-' . $provider), 'per provider');
        ExpectedTokens::answered($provider, 1000); // 900 + 20 = 920: under a twentieth of 900 (45), not written
        self::assertSame(900.0, ExpectedTokens::forProvider($provider));
        ExpectedTokens::answered($provider, 2000); // 900 + 220
        self::assertSame(1120.0, ExpectedTokens::forProvider($provider));
        update_option(ExpectedTokens::OPTION, [$provider => 'nonsense']);
        self::assertSame(1.0, ExpectedTokens::forProvider($provider), 'a value that is no number is none');
    }

    public function testAChargeIsSettledOnceByTheStepsFirstAnswer(): void
    {
        $key = 'tpm:settle-' . bin2hex(random_bytes(3));
        TokenCharges::charged($key, 700.0);
        self::assertSame(700.0, TokenCharges::settle($key));
        self::assertSame(0.0, TokenCharges::settle($key), 'a second answer of the step is charged in full');
    }

    /**
     * A charge no answer settled (the request timed out, or the step sent none) stays charged when the step's
     * lease goes back, and is not settled against the next step a long-lived runner takes (before: the next
     * step's answer refunded it, so the bucket was short of a whole step's tokens).
     */
    public function testAnUnsettledChargeEndsWithItsStep(): void
    {
        $key = 'tpm:ended-' . bin2hex(random_bytes(3));
        TokenCharges::charged($key, 500.0);
        do_action('sluice_lease_released', 41);
        self::assertSame(0.0, TokenCharges::settle($key), 'the next step of this process settles nothing of it');
    }
}
