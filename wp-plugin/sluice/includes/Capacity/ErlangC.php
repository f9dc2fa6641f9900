<?php
/**
 * Erlang's C formula: the probability that an arrival at c servers offered a
 * erlangs of work (a = arrival rate x mean service time) has to wait, for
 * M/M/c and, scaled by Allen and Cunneen's factor, M/G/c. Computed from
 * Erlang's B by its recursion B(k) = a B(k-1) / (k + a B(k-1)), which never
 * forms a^c or c! (both overflow a float for a few hundred servers) and
 * stays in [0, 1] at every step.
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

defined('ABSPATH') || exit;

final class ErlangC
{
    /**
     * @param int   $servers c >= 1
     * @param float $load    a = lambda / mu, below c (at or above it every arrival waits: 1.0)
     */
    public static function probabilityOfWaiting(int $servers, float $load): float
    {
        if ($servers < 1) {
            throw new \InvalidArgumentException(sprintf('Erlang C needs at least one server; got %d.', $servers));
        }
        if ($load <= 0.0) {
            return 0.0;
        }
        if ($load >= $servers) {
            return 1.0;
        }
        $blocking = 1.0;
        for ($k = 1; $k <= $servers; $k++) {
            $blocking = $load * $blocking / ($k + $load * $blocking);
        }
        $rho = $load / $servers;
        return $blocking / (1.0 - $rho * (1.0 - $blocking));
    }
}
