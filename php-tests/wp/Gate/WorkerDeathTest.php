<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

/**
 * A queue runner killed with SIGKILL in the middle of an AI step. Its slot
 * must come back, but not before the provider can have finished the dead
 * runner's last request: the provider keeps serving an orphaned request, so
 * handing the slot on at once would put the provider past its limit.
 */
final class WorkerDeathTest extends GateTestCase
{
    public function testAKilledHoldersSlotDrainsThenServesTheNextStepAndTheProviderStaysAtItsLimit(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 1]);
        // The provider takes 2.5 s and saturates past 1 request; a request may take up to 4 s.
        Site::configure([], ['request_timeout' => 4, 'retry_base_delay' => 1]);
        Provider::reset(latencyMs: 2500, saturateAbove: 1);
        [$doomed] = datamachine_fixture_start_flow('d1', 1);
        $since = intdiv(time(), 60);
        $completedBefore = self::completions($since);

        $victim = Runner::cli();
        self::eventually(static fn () => Provider::stats()['in_flight'] === 1, 15, "the victim's provider request");
        $victim->kill(9);
        $killedAt = microtime(true);
        self::assertSame(1, self::keyStatus(self::siteKey())->active, 'the dead holder still counts while its request drains');

        // Meanwhile another flow's AI step asks for the slot again and again.
        datamachine_fixture_start_flow('d2', 1);
        Runner::until(static fn () => Site::processedItems() === 1, 3, 60);

        $stats = Provider::stats();
        self::assertSame(1, $stats['max_served_in_flight'], "the provider never served two at once, orphan included");
        self::assertSame(0, $stats['stalled'], 'no request stalled into cURL 28');
        self::assertSame(1, $stats['orphaned'], "the dead runner's request was served to its end");
        $failedJobs = array_sum(array_filter(Site::jobStatuses(), static fn ($n, $status) => str_starts_with((string) $status, 'failed'), ARRAY_FILTER_USE_BOTH));
        self::assertSame(0, $failedJobs);
        self::assertGreaterThan(0, count(Site::deferrals()), 'the live step waited for the drain');
        $status = self::keyStatus(self::siteKey());
        self::assertSame(0, $status->active, 'nothing held at the end');
        self::assertGreaterThanOrEqual(1, $status->reclaimedDead, "the dead runner's lease was reclaimed");
        self::assertLessThan(30, microtime(true) - $killedAt);
        self::assertSame('in-progress', Site::aiActions()[0]['status'], "the killed step stays in progress in AS (job $doomed)");
        self::assertSame(1, self::completions($since) - $completedBefore, 'the capacity counters: the live step completed; the reclaimed lease of the dead one is no completion');
    }

    /** The site key's completions in the store's capacity counters since unix minute $since. */
    private static function completions(int $since): int
    {
        $minutes = (new \SluiceWP\Backend\NativeBackend())->minuteCounts()[self::siteKey()] ?? [];
        return array_sum(array_map(static fn ($m): int => $m->minute >= $since ? $m->completions : 0, $minutes));
    }
}
