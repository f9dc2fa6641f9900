<?php
/**
 * The capacity view's arithmetic, from one key's per-minute counters (pure
 * PHP: no WordPress, no store). Each key is a queue with c servers (its
 * limit): AI steps arrive at rate lambda (arrivals per second) and hold a
 * slot for a mean hold time 1 / mu. From the counts of a window:
 *   rho = lambda / (c mu)               how much of the limit the work needs
 *   Little's law: W = L / lambda        the wait the line now implies
 *   M/G/c (Allen-Cunneen):
 *     Wq = C(c, lambda/mu) / (c mu - lambda) x (ca^2 + cs^2) / 2
 *     with Erlang's C (ErlangC), cs the hold time's coefficient of
 *     variation and ca^2 = 1: arrivals are taken as Poisson (not estimated;
 *     steps that a schedule fires together arrive burstier, and wait longer
 *     than this says)
 *   headroom = 0.8 c mu - lambda        arrivals per second that still fit at rho 0.8
 *   drain = L / (c mu - lambda)         the line served by the capacity arrivals leave over
 * A window that saw no step finish takes its hold time from every minute
 * kept: the hold time is the work's, not the window's.
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

defined('ABSPATH') || exit;

final class CapacityModel
{
    /** The windows the view shows, in minutes. */
    public const WINDOWS = [1, 5, 15];
    /** The utilisation the headroom is counted to, and above which an alert may start. */
    public const TARGET_RHO = 0.8;
    /** Squared coefficient of variation of the time between arrivals: 1 (Poisson), assumed. */
    public const ARRIVAL_SCV = 1.0;

    /**
     * One key over one window.
     *
     * @param list<MinuteCounts> $minutes    the key's minutes as the store keeps them (CapacityCounters::minuteCounts())
     * @param int                $windowMin  1 or more (the store keeps 16 minutes: at most 15)
     * @param int                $limit      the limit in force (0: none)
     * @param int                $lineLength steps waiting for the key now
     * @param float              $now        unix seconds
     */
    public function keyCapacity(string $key, array $minutes, int $windowMin, int $limit, int $lineLength, float $now): KeyCapacity
    {
        if ($windowMin < 1) {
            throw new \InvalidArgumentException(sprintf('A capacity window is at least 1 minute; got %d.', $windowMin));
        }
        $sums = WindowSums::over($minutes, $windowMin, $now);
        $held = $sums->holdMeanS() !== null ? $sums : WindowSums::all($minutes);
        $lambda = $sums->arrivals / $sums->seconds;
        return $this->predict(
            $key,
            $windowMin,
            $lambda,
            $sums->completions / $sums->seconds,
            $held->holdMeanS(),
            $held->holdCv(),
            $limit,
            max(0, $lineLength),
            $sums->admissions > 0.0 ? $sums->waitMs / $sums->admissions / 1000.0 : null,
            $sums->completions > 0.0 ? $sums->providerRequests / $sums->completions : null,
        );
    }

    /**
     * The same key and window at another limit: what rho, the M/G/c wait, the headroom and the drain time would
     * be with the same work (arrivals, hold times, the line now). The measured numbers stay as measured.
     */
    public function atLimit(KeyCapacity $measured, int $limit): KeyCapacity
    {
        return $this->predict(
            $measured->key,
            $measured->windowMin,
            $measured->arrivalRate,
            $measured->completionRate,
            $measured->holdMeanS,
            $measured->holdCv,
            $limit,
            $measured->lineLength,
            $measured->waitMeasuredS,
            $measured->retryAmplification,
        );
    }

    /**
     * Utilisation of one minute's arrivals at a limit (the alert's per-minute test); null without a limit or a
     * known hold time.
     */
    public function minuteRho(MinuteCounts $minute, int $limit, ?float $fallbackHoldS): ?float
    {
        $one = WindowSums::all([$minute]);
        $hold = $one->holdMeanS() ?? $fallbackHoldS;
        return $limit > 0 && $hold !== null ? $minute->arrivals / 60.0 * $hold / $limit : null;
    }

    private function predict(
        string $key,
        int $windowMin,
        float $lambda,
        float $completionRate,
        ?float $holdMeanS,
        ?float $holdCv,
        int $limit,
        int $line,
        ?float $waitMeasuredS,
        ?float $retryAmplification,
    ): KeyCapacity {
        $capacity = $limit > 0 && $holdMeanS !== null ? $limit / $holdMeanS : null; // c mu: steps per second the limit serves
        $rho = $capacity !== null ? $lambda / $capacity : null;
        $spare = $capacity !== null ? $capacity - $lambda : null;
        return new KeyCapacity(
            key: $key,
            windowMin: $windowMin,
            arrivalRate: $lambda,
            completionRate: $completionRate,
            holdMeanS: $holdMeanS,
            holdCv: $holdCv,
            limit: $limit,
            rho: $rho,
            lineLength: $line,
            waitLittleS: match (true) {
                $line === 0 => 0.0,
                $lambda > 0.0 => $line / $lambda,
                default => null,
            },
            waitMgcS: $this->allenCunneen($lambda, $holdMeanS, $holdCv, $limit, $rho),
            waitMeasuredS: $waitMeasuredS,
            headroomPerS: $capacity !== null ? self::TARGET_RHO * $capacity - $lambda : null,
            drainS: match (true) {
                $line === 0 => 0.0,
                $spare !== null && $spare > 0.0 => $line / $spare,
                default => null,
            },
            retryAmplification: $retryAmplification,
        );
    }

    /** The M/G/c mean wait in line (Allen-Cunneen), seconds; null when rho is unknown or the line grows without end. */
    private function allenCunneen(float $lambda, ?float $holdMeanS, ?float $holdCv, int $limit, ?float $rho): ?float
    {
        if ($rho === null || $holdMeanS === null || $holdCv === null) {
            return null;
        }
        if ($lambda <= 0.0) {
            return 0.0;
        }
        if ($rho >= 1.0) {
            return null;
        }
        $waiting = ErlangC::probabilityOfWaiting($limit, $lambda * $holdMeanS);
        $mmc = $waiting / ($limit / $holdMeanS - $lambda);
        return $mmc * (self::ARRIVAL_SCV + $holdCv * $holdCv) / 2.0;
    }
}
