<?php
/**
 * Where a provider's circuit breaker's transitions are written: Sluice's
 * event log (Log\EventLog), so an operator sees when a provider went down,
 * each failed probe and its recovery beside the deferrals it caused.
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

interface ProviderEvents
{
    /** 'circuit_opened', 'circuit_reopened' (a failed probe) or 'circuit_closed', with the state after it. */
    public function circuitChanged(string $event, string $provider, string $key, ProviderState $state): void;
}
