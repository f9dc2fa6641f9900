<?php
/**
 * Why a backend said no: the first key that had no free slot.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class Refusal
{
    public function __construct(
        public readonly string $key,
        public readonly int $limit,
        public readonly int $active,
    ) {
    }
}
