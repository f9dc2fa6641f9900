<?php
/**
 * The capacity view of one blog's keys (its own and the host-wide ones it
 * uses), as CapacityCollector fills it: one KeyCapacity per key and window,
 * the alerts active now, and, for a what-if, the limit it was asked at.
 * wp sluice capacity, REST sluice/v1/capacity and the status page format it.
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

defined('ABSPATH') || exit;

final class CapacityReport
{
    /**
     * @param list<KeyCapacity>     $rows one per key and window (at $whatIfLimit when it is set)
     * @param list<CapacityAlert>   $alerts active now, at the limits in force
     * @param array<string, int>    $limitsInForce key => its limit in force
     * @param array<string, string> $scopes key => 'site' (the blog's own) or 'host' (every site's)
     */
    public function __construct(
        public readonly array $rows,
        public readonly array $alerts,
        public readonly array $limitsInForce,
        public readonly ?int $whatIfLimit = null,
        /** Why there is no view (no usable store, a store that keeps no counters, a store error); null when there is. */
        public readonly ?string $unavailable = null,
        public readonly array $scopes = [],
    ) {
    }

    /** @return array{rows: list<array<string, string|int|float|null>>, alerts: list<array{key: string, kind: string, value: float, line_length: int}>, limits_in_force: array<string, int>, what_if_limit: ?int, unavailable: ?string} */
    public function toArray(): array
    {
        return [
            'rows' => array_map(static fn (KeyCapacity $row): array => $row->toArray(), $this->rows),
            'alerts' => array_map(static fn (CapacityAlert $alert): array => $alert->toArray(), $this->alerts),
            'limits_in_force' => $this->limitsInForce,
            'what_if_limit' => $this->whatIfLimit,
            'unavailable' => $this->unavailable,
        ];
    }
}
