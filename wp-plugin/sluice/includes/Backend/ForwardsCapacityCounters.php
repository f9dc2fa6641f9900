<?php
/**
 * CapacityCounters for a backend that keeps its counters in a class of
 * their own (NativeCapacityCounters, DatabaseCapacityCounters,
 * RedisCapacityCounters): both calls go straight through.
 *
 * @internal the backends'
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

trait ForwardsCapacityCounters
{
    abstract protected function capacityCounters(): NativeCapacityCounters|DatabaseCapacityCounters|RedisCapacityCounters;

    public function addCounts(array $countsByKey): void
    {
        $this->capacityCounters()->add($countsByKey);
    }

    public function minuteCounts(): array
    {
        return $this->capacityCounters()->read();
    }
}
