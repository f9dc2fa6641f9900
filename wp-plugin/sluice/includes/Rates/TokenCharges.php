<?php
/**
 * The tokens this process charged at admission to each tokens-per-minute
 * bucket for the step it runs, until that step's first answer settles them
 * (RateObserver: the answer's usage less this charge is charged more, or
 * refunded when negative). A step runs in the process that admitted it;
 * further answers of the same step are charged in full; what is still
 * unsettled when its lease goes back stays charged (stepEnded()).
 */

declare(strict_types=1);

namespace SluiceWP\Rates;

defined('ABSPATH') || exit;

final class TokenCharges
{
    /** @var array<string, float> bucket key => tokens charged and not settled yet */
    private static array $charged = [];

    public static function charged(string $key, float $tokens): void
    {
        self::$charged[$key] = (self::$charged[$key] ?? 0.0) + max(0.0, $tokens);
    }

    /**
     * The step's lease went back: what no answer settled stays charged (a request that timed out may have been
     * counted by the provider), and is never settled against the next step this process runs.
     */
    public static function stepEnded(): void
    {
        self::$charged = [];
    }

    /** What was charged to the bucket and not settled yet (0 when nothing); settled from now on. */
    public static function settle(string $key): float
    {
        $charged = self::$charged[$key] ?? 0.0;
        unset(self::$charged[$key]);
        return $charged;
    }
}
