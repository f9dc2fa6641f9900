<?php
/** One key of a blog's report: what the store holds on it, and whose it is ("site", "provider", "tenant", "host"). */

declare(strict_types=1);

namespace SluiceWP\Status;

use SluiceWP\Backend\KeyStatus;

defined('ABSPATH') || exit;

final class KeyReport
{
    public function __construct(
        public readonly string $scope,
        public readonly KeyStatus $status,
    ) {
    }
}
