<?php
/**
 * How many tokens an AI step of a provider is expected to use, charged to
 * its tokens-per-minute bucket when the step is admitted (Gate\RateBudgets),
 * before its answer says what it used (RateObserver corrects the charge then:
 * a refund or an extra charge). A Data Machine step's request is built after
 * its admission, so the expectation is the provider's running average of
 * recent answers (an exponentially weighted mean, each answer weighing a
 * fifth), kept in one option for every process of the site (written when it
 * moved by a twentieth or more); 1 token until a first answer was seen.
 */

declare(strict_types=1);

namespace SluiceWP\Rates;

defined('ABSPATH') || exit;

final class ExpectedTokens
{
    public const OPTION = 'sluice_expected_tokens';
    /** How much one answer moves the average. */
    public const WEIGHT = 0.2;

    /** Tokens to charge at admission for a step of $provider (at least 1). */
    public static function forProvider(string $provider): float
    {
        $averages = get_option(self::OPTION, []);
        $average = is_array($averages) ? ($averages[$provider] ?? null) : null;
        return is_numeric($average) ? max(1.0, min(1e9, (float) $average)) : 1.0;
    }

    /** An answer of $provider used $used tokens: the running average moves towards it. */
    public static function answered(string $provider, int $used): void
    {
        $averages = get_option(self::OPTION, []);
        $averages = is_array($averages) ? $averages : [];
        $previous = $averages[$provider] ?? null;
        $previous = is_numeric($previous) ? (float) $previous : null;
        $average = round(self::average($previous, $used), 2);
        // Written when it moved by a twentieth or more: a steady provider's answers cost no write each.
        if ($previous === null || abs($average - $previous) >= max(1.0, $previous / 20)) {
            $averages[$provider] = $average;
            update_option(self::OPTION, $averages, true); // autoloaded: reading it at admission costs no query
        }
    }

    /** The running average after one more answer (the first answer is the average). */
    public static function average(?float $previous, int $used): float
    {
        $used = max(0, $used);
        return $previous === null || $previous < 0 ? (float) $used : $previous + self::WEIGHT * ($used - $previous);
    }
}
