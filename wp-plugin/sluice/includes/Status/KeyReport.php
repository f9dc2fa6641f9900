<?php
/**
 * One key of a blog's report: what the store holds on it, whose it is
 * ("site", "provider", "tenant", "mode", "host"), and for a provider's key its
 * protection (adaptive limit, circuit breaker) where the provider has one.
 */

declare(strict_types=1);

namespace SluiceWP\Status;

use SluiceWP\Backend\KeyStatus;
use SluiceWP\Provider\ProviderReport;

defined('ABSPATH') || exit;

final class KeyReport
{
    public function __construct(
        public readonly string $scope,
        public readonly KeyStatus $status,
        public readonly ?ProviderReport $provider = null,
    ) {
    }
}
