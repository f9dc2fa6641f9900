<?php
declare(strict_types=1);

namespace Sluice\WpTests\Capacity;

use PHPUnit\Framework\TestCase;
use SluiceWP\Backend\CapacityCounters;
use SluiceWP\Backend\Lease;
use SluiceWP\Capacity\CapacityRecorder;
use SluiceWP\Capacity\MinuteCounts;
use SluiceWP\Gate\WorkHistory;

/**
 * A store whose write is a query (database, Redis) is written at most every
 * BATCH_SECONDS and at request end, so a queue run's steps share one
 * statement; the native store is written at each step (it costs no query).
 * Nothing is lost either way: the counts written are the steps' counts.
 */
final class CapacityRecorderBatchTest extends TestCase
{
    /** @return array{CapacityRecorder, object{writes: list<array<string, array<int, int>>>}} */
    private static function recorder(bool $batched): array
    {
        $store = new class () implements CapacityCounters {
            /** @var list<array<string, array<int, int>>> */
            public array $writes = [];

            public function addCounts(array $countsByKey): void
            {
                $this->writes[] = $countsByKey;
            }

            public function minuteCounts(): array
            {
                return [];
            }
        };
        $history = static fn (string $workKey): WorkHistory => new WorkHistory(0, 0, null, null);
        return [new CapacityRecorder($store, \Closure::fromCallable($history), true, $batched), $store];
    }

    /** Three steps admitted and released, and one deferred, as one queue run does them. */
    private static function queueRun(CapacityRecorder $recorder): void
    {
        foreach ([101, 102, 103] as $id) {
            $recorder->admitted($id, "work-{$id}", new Lease(str_repeat('a', 32), ['site' => 2], null, Lease::NO_TICKET));
            $recorder->released($id);
        }
        $recorder->deferred(['site' => 2], new WorkHistory(0, 0, null, null));
    }

    /** @param list<array<string, array<int, int>>> $writes */
    private static function total(array $writes): MinuteCounts
    {
        $sum = [];
        foreach ($writes as $write) {
            foreach ($write['site'] ?? [] as $counter => $amount) {
                $sum[$counter] = ($sum[$counter] ?? 0) + $amount;
            }
        }
        return MinuteCounts::fromList(0, $sum);
    }

    public function testABatchedStoreGetsAQueueRunsStepsInOneWriteAtRequestEnd(): void
    {
        [$recorder, $store] = self::recorder(true);
        self::queueRun($recorder);
        self::assertCount(1, $store->writes, 'the first step is written at once (no write for BATCH_SECONDS before)');
        $recorder->flush(); // request end
        self::assertCount(2, $store->writes, 'the other steps of the run in one more write');
        $total = self::total($store->writes);
        self::assertSame([4, 3, 3, 1], [$total->arrivals, $total->admissions, $total->completions, $total->deferrals], 'every step counted once');
    }

    public function testTheNativeStoreIsWrittenAtEachStep(): void
    {
        [$recorder, $store] = self::recorder(false);
        self::queueRun($recorder);
        self::assertCount(4, $store->writes, 'one write per release and per deferral');
        $recorder->flush();
        self::assertCount(4, $store->writes, 'nothing left at request end');
        $total = self::total($store->writes);
        self::assertSame([4, 3, 3, 1], [$total->arrivals, $total->admissions, $total->completions, $total->deferrals]);
    }
}
