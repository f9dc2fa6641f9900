<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\NativeBackend;

/**
 * The timer fallback (the waiting line off, as after a lost wake or with a
 * full line) against the limiter it replaces: a step that finds its slot
 * held through three deferrals must not wait longer under Sluice than under
 * Data Machine's own limiter, which retries after its throttle delay,
 * doubling (1, 2, 4 s here: the fixture backs off as
 * AIConcurrencyBackpressure::delaySeconds): each of Sluice's delays is at
 * most Data Machine's for that retry. Before,
 * Sluice's jitter went on top of the doubling (1-2, 2-3, 4-5 s), so a step
 * started up to a quarter later (the issue measured 42 s against 36 s at
 * the default 10 s). Both wall-clock figures are printed.
 */
final class FallbackDelayTest extends GateTestCase
{
    /** The slot is freed once the step was deferred this often: its delays are compared one by one. */
    private const DEFERRALS = 3;

    public function testTheTimerFallbackNeverWaitsLongerThanDataMachinesOwnLimiter(): void
    {
        // Data Machine's limiter alone (Sluice off), limit 1, throttle delay 1 s.
        Site::configure(['pipeline_ai_concurrency_limit' => 1, 'pipeline_ai_throttle_delay' => 1], [], ['enabled' => false]);
        $lease = datamachine_fixture_limiter_acquire('fake', ['job_id' => 0, 'flow_step_id' => 'test']);
        self::assertNotNull($lease, "the test holds Data Machine's only slot");
        $dataMachineDelays = static function (): array {
            global $wpdb;
            return array_map(static fn (string $context): int => (int) json_decode($context, true)['rescheduled_for_seconds'],
                $wpdb->get_col("SELECT context FROM {$wpdb->prefix}datamachine_logs WHERE message = 'Pipeline AI step deferred by concurrency limit' ORDER BY id"));
        };
        $dataMachine = self::waitForTheStep('dm', static fn () => datamachine_fixture_limiter_release($lease), static fn (): int => count($dataMachineDelays()));
        $dataMachineDelays = $dataMachineDelays();

        Site::reset();
        Site::configure([], [], ['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 300, 'waiting_line' => false]);
        $held = (new NativeBackend())->tryAcquire([self::siteKey() => 1], 600, 'test holder');
        self::assertNotInstanceOf(\SluiceWP\Backend\Refusal::class, $held);
        $sluice = self::waitForTheStep('sl', static function () use (&$held): void {
            $held = null; // the native backend releases a dropped lease
        }, static fn (): int => count(Site::deferrals()));
        $sluiceDelays = array_map(static fn (array $e): int => (int) $e['delay_s'], Site::deferrals());
        fwrite(STDERR, sprintf("slot held through %d deferrals: the step started after %.1f s under Data Machine's limiter (delays %s s), %.1f s under Sluice's timer (delays %s s)\n",
            self::DEFERRALS, $dataMachine, implode(', ', $dataMachineDelays), $sluice, implode(', ', $sluiceDelays)));
        self::assertCount(self::DEFERRALS, $dataMachineDelays, 'the step waited through its retries');
        self::assertCount(self::DEFERRALS, $sluiceDelays);
        foreach ($dataMachineDelays as $i => $delay) {
            self::assertSame(min(600, 2 ** $i), $delay, "Data Machine's limiter backs off 1, 2, 4 s (its throttle delay doubling)");
        }
        foreach ($sluiceDelays as $i => $delay) {
            self::assertLessThanOrEqual(2 ** $i, $delay, "Sluice's deferral $i waits no longer than Data Machine's would: " . implode(', ', $sluiceDelays));
        }
    }

    /**
     * Starts one item and frees the slot once it was deferred DEFERRALS times;
     * returns the seconds from the start to its AI step.
     *
     * @param callable(): int $deferrals how often it was deferred so far
     */
    private static function waitForTheStep(string $flow, callable $free, callable $deferrals): float
    {
        $start = microtime(true);
        datamachine_fixture_start_flow($flow, 1);
        $freed = false;
        Runner::until(static function () use ($free, $deferrals, &$freed): bool {
            if (!$freed && $deferrals() >= self::DEFERRALS) {
                $free();
                $freed = true;
            }
            return Site::aiRuns() !== [];
        }, 1, 40);
        return Site::aiRuns()[0]['started'] - $start;
    }
}
