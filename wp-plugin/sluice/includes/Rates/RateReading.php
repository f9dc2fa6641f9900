<?php
/** What one provider response's rate-limit headers said (RateHeaders::read()). */

declare(strict_types=1);

namespace SluiceWP\Rates;

defined('ABSPATH') || exit;

final class RateReading
{
    /** @param list<string> $ignored the headers that were malformed, each as "name: value" */
    public function __construct(
        public readonly ?BudgetReading $requests,
        public readonly ?BudgetReading $tokens,
        /** retry-after (or retry-after-ms), in ms. */
        public readonly ?int $retryAfterMs,
        public readonly array $ignored = [],
    ) {
    }

    public function isEmpty(): bool
    {
        return $this->requests === null && $this->tokens === null && $this->retryAfterMs === null;
    }
}
