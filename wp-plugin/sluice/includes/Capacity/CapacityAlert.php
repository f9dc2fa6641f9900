<?php
/**
 * One capacity alert of one key (CapacityAlerts): its utilisation stayed
 * above 0.8 for 3 minutes, or its line grew for 10.
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

defined('ABSPATH') || exit;

final class CapacityAlert
{
    /** rho above CapacityModel::TARGET_RHO in each of the last CapacityAlerts::RHO_MINUTES whole minutes. */
    public const UTILISATION = 'utilisation';
    /** More arrivals than admissions in each of the last CapacityAlerts::BACKLOG_MINUTES whole minutes, and a line now. */
    public const BACKLOG = 'backlog';

    public function __construct(
        public readonly string $key,
        /** UTILISATION or BACKLOG. */
        public readonly string $kind,
        /** UTILISATION: the lowest rho of those minutes; BACKLOG: how many steps the line grew by over them. */
        public readonly float $value,
        /** The steps waiting now. */
        public readonly int $lineLength,
    ) {
    }

    /** What identifies the alert while it lasts (its start fires sluice_capacity_alert once). */
    public function id(): string
    {
        return $this->kind . ':' . $this->key;
    }

    /** @return array{key: string, kind: string, value: float, line_length: int} */
    public function toArray(): array
    {
        return ['key' => $this->key, 'kind' => $this->kind, 'value' => round($this->value, 4), 'line_length' => $this->lineLength];
    }
}
