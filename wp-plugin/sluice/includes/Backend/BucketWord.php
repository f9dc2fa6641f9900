<?php
/**
 * What a provider said about the budget behind one bucket, from its
 * rate-limit headers (Rates\RateHeaders): at most `atMost` tokens are left
 * (null: not said), no take for `pauseMs`, and the budget it announces
 * (learnedRate tokens per second up to learnedBurst; 0: not said).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class BucketWord
{
    public function __construct(
        public readonly ?float $atMost = null,
        public readonly int $pauseMs = 0,
        public readonly float $learnedRate = 0.0,
        public readonly float $learnedBurst = 0.0,
    ) {
    }

    public function isEmpty(): bool
    {
        return $this->atMost === null && $this->pauseMs <= 0 && $this->learnedRate <= 0;
    }
}
