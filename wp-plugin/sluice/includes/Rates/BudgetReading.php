<?php
/** One budget (requests or tokens) as a provider's headers state it; null where a header was absent, malformed or "unknown". */

declare(strict_types=1);

namespace SluiceWP\Rates;

defined('ABSPATH') || exit;

final class BudgetReading
{
    public function __construct(
        /** The budget per minute. */
        public readonly ?int $limit,
        /** What is left of it now. */
        public readonly ?int $remaining,
        /** ms until it is whole again. */
        public readonly ?int $resetMs,
    ) {
    }

    public function isEmpty(): bool
    {
        return $this->limit === null && $this->remaining === null && $this->resetMs === null;
    }
}
