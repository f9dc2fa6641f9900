<?php
/**
 * The native backend's capacity counters: the extension keeps 16 minutes of
 * eight counters per key in the key's rate record of the shared segment
 * (Sluice\window_add(), Sluice\key_rates()), so every worker of the host adds
 * to one set, in one lock hold per call and with no query.
 *
 * @internal NativeBackend's
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

use SluiceWP\Capacity\CountsByKey;
use SluiceWP\Capacity\MinuteCounts;

defined('ABSPATH') || exit;

final class NativeCapacityCounters
{
    private readonly LostCounts $lost;

    public function __construct()
    {
        $this->lost = new LostCounts('native');
    }

    /**
     * @param array<string, array<int, int>> $countsByKey
     * @param int $minute unix minute; 0 = now (a minute more than 15 minutes old is dropped by the extension)
     */
    public function add(array $countsByKey, int $minute = 0): void
    {
        $counts = CountsByKey::checked($countsByKey);
        if ($counts === []) {
            return;
        }
        try {
            \Sluice\window_add($counts, $minute);
        } catch (\Throwable $e) {
            $this->lost->report($e);
        }
    }

    /** @return array<string, list<MinuteCounts>> */
    public function read(): array
    {
        $byKey = [];
        foreach (\Sluice\key_rates() as $key => $rates) {
            foreach ($rates['windows'] as $window) {
                $byKey[(string) $key][] = MinuteCounts::fromList((int) $window['minute'], $window['counts']);
            }
        }
        return $byKey;
    }
}
