<?php
declare(strict_types=1);

namespace Sluice\Support;

/**
 * The max-overlap witness of the test suites and the FPM demo: from the hold
 * intervals the holders themselves measured on the host-wide monotonic clock
 * (hrtime), the most that held a slot at one instant. It only reads numbers,
 * so it needs neither the extension nor PHPUnit.
 */
final class Overlap
{
    /**
     * The most intervals open at one instant. Intervals are [start, end] in
     * ns; an end at the same instant as a start closes first (touching is not
     * overlapping).
     *
     * @param list<array{0:int|float,1:int|float}> $intervals
     * @throws \InvalidArgumentException for an interval that ends before it starts
     */
    public static function max(array $intervals): int
    {
        $backwards = self::backwards($intervals);
        if ($backwards !== []) {
            throw new \InvalidArgumentException('intervals that end before they start: ' . json_encode($backwards));
        }
        $events = [];
        foreach ($intervals as [$from, $to]) {
            $events[] = [$from, 1];
            $events[] = [$to, -1];
        }
        usort($events, fn (array $a, array $b) => $a[0] <=> $b[0] ?: $a[1] <=> $b[1]);
        $open = $max = 0;
        foreach ($events as [, $delta]) {
            $open += $delta;
            $max = max($max, $open);
        }
        return $max;
    }

    /**
     * The intervals that end before they start (a broken measurement).
     *
     * @param list<array{0:int|float,1:int|float}> $intervals
     * @return list<array{0:int|float,1:int|float}>
     */
    public static function backwards(array $intervals): array
    {
        return array_values(array_filter($intervals, fn (array $i) => $i[0] > $i[1]));
    }
}
