<?php
/**
 * The waiting line's fair order, for stores that compute it outside the
 * extension: a ticket's score is its start tag + SCALE / w_eff, where
 * w_eff = w + (100 - w) * min(1, waited / aging) grows from the ticket's
 * weight to 100 over the aging period (filter sluice_aging_seconds, 90 s),
 * so a light tenant's long wait is never starved by heavy ones. The
 * smallest score is served first, the older ticket on a tie. Also the
 * line's tunables every such store reads the same way.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class LineOrder
{
    /** A ticket of weight w advances its queue's virtual time by SCALE / w. */
    public const SCALE = 1e6;

    public static function score(float $startTag, int $weight, int $waitedMs, int $agingMs): float
    {
        return $startTag + self::SCALE / self::effectiveWeight($weight, $waitedMs, $agingMs);
    }

    /** w + (100 - w) * min(1, waited / aging). */
    public static function effectiveWeight(int $weight, int $waitedMs, int $agingMs): float
    {
        $f = $agingMs > 0 ? min(1.0, $waitedMs / $agingMs) : 1.0;
        return $weight + (100 - $weight) * $f;
    }

    public static function agingMs(): int
    {
        return max(0, (int) apply_filters('sluice_aging_seconds', 90)) * 1000;
    }

    /** How long a slot stays reserved for a woken ticket's copy before it goes to the next ticket. */
    public static function reservationMs(): int
    {
        return max(1, (int) apply_filters('sluice_reservation_seconds', 10)) * 1000;
    }

    public static function capacity(): int
    {
        return max(1, (int) apply_filters('sluice_line_capacity', 100_000));
    }
}
