<?php
/**
 * One key's capacity over one window, as Capacity\CapacityModel computes it:
 * what the capacity view shows per key and window (wp sluice capacity, REST
 * sluice/v1/capacity, the status page). A number that cannot be known from
 * the counts (no completion yet, no limit, a line that never drains) is null.
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

defined('ABSPATH') || exit;

final class KeyCapacity
{
    /** The field names of toArray(), in order (the JSON, CSV and REST fields; benchmarks read them). */
    public const FIELDS = [
        'key', 'window_min', 'arrival_rate', 'completion_rate', 'hold_mean_s', 'hold_cv', 'limit', 'rho', 'line_length',
        'wait_little_s', 'wait_mgc_s', 'wait_measured_s', 'headroom_per_s', 'drain_s', 'retry_amplification',
    ];

    public function __construct(
        public readonly string $key,
        /** The window: the last 1, 5 or 15 minutes up to now. */
        public readonly int $windowMin,
        /** New AI steps per second. */
        public readonly float $arrivalRate,
        /** Steps that finished (gave their slots back) per second. */
        public readonly float $completionRate,
        /** Mean hold time (slot taken to slot given back), seconds; null before any step finished. */
        public readonly ?float $holdMeanS,
        /** Its coefficient of variation (standard deviation / mean); null with the mean. */
        public readonly ?float $holdCv,
        /** The limit these numbers are for (the one in force, or a what-if's). */
        public readonly int $limit,
        /** Utilisation: arrival rate / (limit / mean hold); null without a limit or a mean hold. */
        public readonly ?float $rho,
        /** Steps waiting for this key now. */
        public readonly int $lineLength,
        /** Little's law: line length / arrival rate, seconds (0 with no line; null with a line and no arrivals). */
        public readonly ?float $waitLittleS,
        /** M/G/c (Allen-Cunneen) mean wait, seconds; null when rho is unknown or at least 1 (the line grows without end). */
        public readonly ?float $waitMgcS,
        /** Measured mean wait of the steps admitted in the window, seconds; null when none was. */
        public readonly ?float $waitMeasuredS,
        /** More arrivals per second that fit at rho 0.8 (negative: that many too many); null with rho. */
        public readonly ?float $headroomPerS,
        /** Seconds until the line now is gone, arrivals going on as they came; 0 with no line; null when it never drains. */
        public readonly ?float $drainS,
        /** Provider requests per finished step (1.0: no retries); null before any step finished. */
        public readonly ?float $retryAmplification,
    ) {
    }

    /** @return array<string, string|int|float|null> the fields of FIELDS, floats to 6 decimals */
    public function toArray(): array
    {
        $round = static fn (?float $v): ?float => $v === null ? null : round($v, 6);
        return [
            'key' => $this->key,
            'window_min' => $this->windowMin,
            'arrival_rate' => $round($this->arrivalRate),
            'completion_rate' => $round($this->completionRate),
            'hold_mean_s' => $round($this->holdMeanS),
            'hold_cv' => $round($this->holdCv),
            'limit' => $this->limit,
            'rho' => $round($this->rho),
            'line_length' => $this->lineLength,
            'wait_little_s' => $round($this->waitLittleS),
            'wait_mgc_s' => $round($this->waitMgcS),
            'wait_measured_s' => $round($this->waitMeasuredS),
            'headroom_per_s' => $round($this->headroomPerS),
            'drain_s' => $round($this->drainS),
            'retry_amplification' => $round($this->retryAmplification),
        ];
    }
}
