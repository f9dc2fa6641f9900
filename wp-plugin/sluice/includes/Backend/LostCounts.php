<?php
/**
 * Capacity counts a store could not keep: counting never fails the work it
 * counts, so the error is not thrown; it is named in the PHP error log once
 * per store object (a store that fails, fails for every step: one line, not
 * one per step), and the counts are lost.
 *
 * @internal the stores' CapacityCounters
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class LostCounts
{
    private bool $logged = false;

    public function __construct(private readonly string $store)
    {
    }

    public function report(\Throwable $error): void
    {
        if ($this->logged) {
            return;
        }
        $this->logged = true;
        error_log("Sluice: the {$this->store} backend could not keep capacity counts (the capacity view misses them; this process says so once): " . $error->getMessage());
    }
}
