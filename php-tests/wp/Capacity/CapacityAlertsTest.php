<?php
declare(strict_types=1);

namespace Sluice\WpTests\Capacity;

use PHPUnit\Framework\TestCase;
use SluiceWP\Capacity\CapacityAlert;
use SluiceWP\Capacity\CapacityAlerts;
use SluiceWP\Capacity\MinuteCounts;

/** When the capacity alerts start, from whole minutes' counts. */
final class CapacityAlertsTest extends TestCase
{
    private const M = 29_000_000;

    /** @param array<int, int> $arrivalsByAge minutes ago => arrivals; each minute's steps hold 2 s */
    private static function minutes(array $arrivalsByAge, int $admittedFewer = 0): array
    {
        $minutes = [];
        foreach ($arrivalsByAge as $age => $arrivals) {
            $done = max(0, $arrivals - $admittedFewer);
            $minutes[] = new MinuteCounts(self::M - $age, arrivals: $arrivals, admissions: $done, completions: $done, holdMs: 2_000 * $done, holdMsSquared: 4_000_000 * $done);
        }
        return $minutes;
    }

    public function testUtilisationAboveEightyPercentForThreeWholeMinutes(): void
    {
        $alerts = new CapacityAlerts();
        // 25 a minute x 2 s / limit 1 = rho 0.833 in each of the last 3 whole minutes; the current minute (age 0) is not looked at
        $busy = self::minutes([0 => 0, 1 => 25, 2 => 25, 3 => 25]);
        $found = $alerts->of('k', $busy, 1, 0, self::M * 60.0 + 20.0);
        self::assertCount(1, $found);
        self::assertSame([CapacityAlert::UTILISATION, 'k'], [$found[0]->kind, $found[0]->key]);
        self::assertEqualsWithDelta(25 / 60 * 2, $found[0]->value, 1e-9);
        self::assertSame('utilisation:k', $found[0]->id());

        self::assertSame([], $alerts->of('k', self::minutes([1 => 25, 2 => 20, 3 => 25]), 1, 0, self::M * 60.0), 'one minute at 0.667');
        self::assertSame([], $alerts->of('k', self::minutes([1 => 25, 2 => 25]), 1, 0, self::M * 60.0), 'only two minutes');
        self::assertSame([], $alerts->of('k', $busy, 2, 0, self::M * 60.0), 'at limit 2: rho 0.417');
        self::assertSame([], $alerts->of('k', $busy, 0, 0, self::M * 60.0), 'no limit, no utilisation');
    }

    public function testABacklogThatGrewInEachOfTheLastTenMinutes(): void
    {
        $alerts = new CapacityAlerts();
        $growing = self::minutes(array_fill_keys(range(1, 10), 5), 1); // 5 arrive, 4 admitted, every minute
        $found = $alerts->of('k', $growing, 100, 7, self::M * 60.0 + 59.0);
        self::assertSame([CapacityAlert::BACKLOG], array_map(static fn (CapacityAlert $a): string => $a->kind, $found));
        self::assertSame(10.0, $found[0]->value, 'one more waiting after each of 10 minutes');
        self::assertSame(7, $found[0]->lineLength);

        self::assertSame([], $alerts->of('k', $growing, 100, 0, self::M * 60.0), 'no line now: it drained');
        $oneEven = self::minutes([1 => 5, 2 => 5, 3 => 5, 4 => 5, 5 => 5, 6 => 5, 7 => 5, 8 => 5, 9 => 5], 1);
        $oneEven[] = new MinuteCounts(self::M - 10, arrivals: 3, admissions: 3);
        self::assertSame([], $alerts->of('k', $oneEven, 100, 7, self::M * 60.0), 'one minute in which it did not grow');
        self::assertSame([], $alerts->of('k', array_slice($growing, 0, 9), 100, 7, self::M * 60.0), 'nine minutes only');
    }
}
