<?php
/**
 * Where a provider's circuit breaker stands at a given moment: closed (calls
 * go through), open (no call until the next probe), half-open (the cool-down
 * is over: exactly one AI step goes through as the probe, the provider key's
 * limit is 1 meanwhile).
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

enum CircuitPhase: string
{
    case Closed = 'closed';
    case Open = 'open';
    case HalfOpen = 'half_open';
}
