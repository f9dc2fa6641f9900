<?php
/**
 * One key's counters summed over a sliding window of whole minutes' length
 * that ends now. The store counts per calendar minute, so a window of w
 * minutes at s seconds into the current minute is: the current minute (its
 * first s seconds, all it has), the w - 1 minutes before it, and the part of
 * the minute before those that is still inside the window, (60 - s) / 60 of
 * its counts (as if they came evenly over that minute). The window is always
 * exactly 60 w seconds long, whatever the second; the store keeps 16 minutes
 * for the 15-minute window's partial oldest one.
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

defined('ABSPATH') || exit;

final class WindowSums
{
    public function __construct(
        public readonly float $seconds,
        public readonly float $arrivals = 0.0,
        public readonly float $admissions = 0.0,
        public readonly float $completions = 0.0,
        public readonly float $holdMs = 0.0,
        public readonly float $holdMsSquared = 0.0,
        public readonly float $waitMs = 0.0,
        public readonly float $deferrals = 0.0,
        public readonly float $providerRequests = 0.0,
    ) {
    }

    /**
     * @param list<MinuteCounts> $minutes one key's minutes (any order; a minute after now's is left out: another host's clock)
     * @param int                $windowMin 1 or more
     * @param float              $now unix seconds
     */
    public static function over(array $minutes, int $windowMin, float $now): self
    {
        $current = (int) floor($now / 60);
        $elapsed = $now - $current * 60.0;
        $sums = array_fill(0, count(MinuteCounts::FIELDS), 0.0);
        foreach ($minutes as $m) {
            $age = $current - $m->minute;
            $weight = match (true) {
                $age < 0 || $age > $windowMin => 0.0,
                $age === $windowMin => (60.0 - $elapsed) / 60.0,
                default => 1.0,
            };
            if ($weight > 0.0) {
                foreach ($m->toList() as $i => $count) {
                    $sums[$i] += $weight * $count;
                }
            }
        }
        return new self(60.0 * $windowMin, ...$sums);
    }

    /**
     * Every minute given, whole (the hold time's fallback when a window saw no step finish).
     *
     * @param list<MinuteCounts> $minutes
     */
    public static function all(array $minutes): self
    {
        $sums = array_fill(0, count(MinuteCounts::FIELDS), 0.0);
        foreach ($minutes as $m) {
            foreach ($m->toList() as $i => $count) {
                $sums[$i] += $count;
            }
        }
        return new self(60.0 * count($minutes), ...$sums);
    }

    /** Mean hold time in seconds, null before any step finished (or when every hold was under a millisecond). */
    public function holdMeanS(): ?float
    {
        return $this->completions > 0.0 && $this->holdMs > 0.0 ? $this->holdMs / $this->completions / 1000.0 : null;
    }

    /** The hold time's coefficient of variation, from the sums of holds and of their squares. */
    public function holdCv(): ?float
    {
        if ($this->completions <= 0.0 || $this->holdMs <= 0.0) {
            return null;
        }
        $mean = $this->holdMs / $this->completions;
        $variance = max(0.0, $this->holdMsSquared / $this->completions - $mean * $mean);
        return sqrt($variance) / $mean;
    }
}
