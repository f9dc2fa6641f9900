<?php
/**
 * When a key's capacity needs the operator, decided from its per-minute
 * counters (whole minutes only: the current one is still filling):
 *   utilisation  rho above 0.8 in each of the last 3 minutes (each minute's
 *                arrivals x its mean hold time / the limit; a minute in which
 *                no step finished takes the hold time of every minute kept)
 *   backlog      more new steps than admitted ones in each of the last 10
 *                minutes, and steps waiting now: the line grew all that time
 * Pure PHP; the WP-Cron minute (CapacityWatch), the admin notice and
 * `wp sluice capacity` ask it.
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

defined('ABSPATH') || exit;

final class CapacityAlerts
{
    public const RHO_MINUTES = 3;
    public const BACKLOG_MINUTES = 10;

    public function __construct(private readonly CapacityModel $model = new CapacityModel())
    {
    }

    /**
     * @param list<MinuteCounts> $minutes the key's minutes as the store keeps them
     * @param int                $limit the limit in force (0: none, no utilisation alert)
     * @param int                $lineLength steps waiting for the key now
     * @param float              $now unix seconds
     * @return list<CapacityAlert>
     */
    public function of(string $key, array $minutes, int $limit, int $lineLength, float $now): array
    {
        $current = (int) floor($now / 60);
        $byMinute = [];
        foreach ($minutes as $m) {
            $byMinute[$m->minute] = $m;
        }
        $last = static fn (int $n): array => array_map(
            static fn (int $age): MinuteCounts => $byMinute[$current - $age] ?? new MinuteCounts($current - $age),
            range(1, $n),
        );
        $alerts = [];
        $fallbackHold = WindowSums::all($minutes)->holdMeanS();
        $rhos = array_map(fn (MinuteCounts $m): ?float => $this->model->minuteRho($m, $limit, $fallbackHold), $last(self::RHO_MINUTES));
        if (!in_array(null, $rhos, true) && min($rhos) > CapacityModel::TARGET_RHO) {
            $alerts[] = new CapacityAlert($key, CapacityAlert::UTILISATION, (float) min($rhos), max(0, $lineLength));
        }
        $growth = 0;
        foreach ($last(self::BACKLOG_MINUTES) as $m) {
            if ($m->arrivals <= $m->admissions) {
                $growth = null;
                break;
            }
            $growth += $m->arrivals - $m->admissions;
        }
        if ($growth !== null && $lineLength > 0) {
            $alerts[] = new CapacityAlert($key, CapacityAlert::BACKLOG, (float) $growth, $lineLength);
        }
        return $alerts;
    }
}
