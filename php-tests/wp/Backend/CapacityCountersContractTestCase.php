<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\Runner;
use Sluice\Tests\Support\SluiceTestCase;
use SluiceWP\Backend\CapacityCounters;
use SluiceWP\Capacity\MinuteCounts;

/**
 * A store's per-key, per-minute capacity counters (CapacityCounters), the
 * same contract on every backend: counts that processes add at once add up,
 * per key and in store order; only the last 16 minutes are kept (a minute
 * outside them is dropped, never added to another); and a store that fails
 * never throws out of addCounts(): it says so once in the error log.
 */
abstract class CapacityCountersContractTestCase extends SluiceTestCase
{
    abstract protected function store(): CapacityCounters;

    /** PHP code, run in a child process, that leaves the same store in $store. */
    abstract protected function childStoreCode(): string;

    /** Adds counts to an explicit unix minute, through the backend's own counters. */
    abstract protected function addAt(array $countsByKey, int $minute): void;

    /**
     * Two addCounts() calls to a store of this backend that fails (a real failure: a table that is not there, a
     * Redis that does not answer, a segment the extension refuses); returns what they wrote to the error log.
     *
     * @return list<string>
     */
    abstract protected function twoCallsToAFailingStore(): array;

    protected static function key(string $name = 'k'): string
    {
        return 'sluice/test-capacity/' . substr($name, 0, 20) . '-' . bin2hex(random_bytes(4));
    }

    /** @return array<int, int> one key's counters summed over every minute on record, in store order */
    protected function totals(string $key): array
    {
        $sum = array_fill(0, count(MinuteCounts::FIELDS), 0);
        foreach ($this->store()->minuteCounts()[$key] ?? [] as $minute) {
            foreach ($minute->toList() as $i => $n) {
                $sum[$i] += $n;
            }
        }
        return $sum;
    }

    /**
     * Two processes each add 50 times to a key they share and once to a key
     * of their own, in one call each time: every count lands, on its key and
     * counter, in the minute the store's clock says.
     */
    public function testCountsAddedByTwoProcessesAtOnceAddUp(): void
    {
        $shared = self::key('shared');
        $own = [self::key('own-a'), self::key('own-b')];
        $go = sys_get_temp_dir() . '/sluice-capacity-go-' . getmypid() . '-' . bin2hex(random_bytes(3));
        $children = [];
        foreach ($own as $i => $mine) {
            $children[] = Runner::php($this->childStoreCode() . '
                echo "ready\n";
                while (!file_exists($go)) { usleep(1000); }
                for ($n = 0; $n < 50; $n++) {
                    $store->addCounts([$shared => [0 => 1, 1 => 1, 2 => 1, 3 => 200, 4 => 40000, 5 => $n, 6 => 2, 7 => 3]] + ($n === 0 ? [$mine => [7 => 5 + $i]] : []));
                }
                echo "done\n";', ['shared' => $shared, 'mine' => $mine, 'i' => $i, 'go' => $go]);
        }
        foreach ($children as $child) {
            $child->expectLine('ready');
        }
        $before = intdiv(time(), 60);
        touch($go);
        try {
            foreach ($children as $child) {
                $child->expectLine('done', 60);
            }
        } finally {
            @unlink($go);
        }
        $after = intdiv(time(), 60);
        self::assertSame([100, 100, 100, 20_000, 4_000_000, 2 * 1225, 200, 300], $this->totals($shared), 'arrivals .. provider_requests, in store order');
        self::assertSame([0, 0, 0, 0, 0, 0, 0, 5], $this->totals($own[0]));
        self::assertSame([0, 0, 0, 0, 0, 0, 0, 6], $this->totals($own[1]));
        $minutes = array_map(static fn (MinuteCounts $m): int => $m->minute, $this->store()->minuteCounts()[$shared]);
        self::assertSame($minutes, array_values(array_unique($minutes)), 'one entry per minute');
        $sorted = $minutes;
        sort($sorted);
        self::assertSame($sorted, $minutes, 'oldest first');
        foreach ($minutes as $m) {
            self::assertTrue($m >= $before && $m <= $after, "minute {$m} is the minute they were added ({$before} to {$after})");
        }
    }

    /**
     * The window is the current minute and the 15 before it: a count of the
     * 15th minute back is kept, one of the 16th is dropped, also when the
     * slot it would share is the current minute's.
     */
    public function testOnlyTheLastSixteenMinutesAreKept(): void
    {
        for ($attempt = 0; $attempt < 3; $attempt++) {
            $now = intdiv(time(), 60);
            $key = self::key('window');
            $this->addAt([$key => [0 => 7]], $now - 16); // nothing there yet
            $this->store()->addCounts([$key => [0 => 1]]);
            $this->addAt([$key => [0 => 5]], $now - 16); // its slot now holds this minute
            $this->addAt([$key => [6 => 3]], $now - 15);
            if (intdiv(time(), 60) === $now) {
                break; // all in one minute: the arithmetic below holds
            }
        }
        $byMinute = [];
        foreach ($this->store()->minuteCounts()[$key] ?? [] as $m) {
            $byMinute[$m->minute] = $m->toList();
        }
        self::assertSame([$now - 15, $now], array_keys($byMinute), 'the 15th minute back and this one; the 16th dropped');
        self::assertSame([0, 0, 0, 0, 0, 0, 3, 0], $byMinute[$now - 15]);
        self::assertSame([1, 0, 0, 0, 0, 0, 0, 0], $byMinute[$now], 'a count of the 16th minute back never lands on this one');
        self::assertSame(CapacityCounters::MINUTES_KEPT, 16);
    }

    public function testNothingToAddIsNoCallAndBadCountsAreRefusedNamingTheProblem(): void
    {
        $key = self::key('bad');
        $this->store()->addCounts([]);
        $this->store()->addCounts([$key => [0 => 0]]);
        self::assertArrayNotHasKey($key, $this->store()->minuteCounts(), 'zero counts leave no minute');
        foreach ([
            [['' => [0 => 1]], '1 to 64 bytes'],
            [[str_repeat('k', 65) => [0 => 1]], '1 to 64 bytes'],
            [[$key => [8 => 1]], 'the counters are 0 to 7'],
            [[$key => [2 => -1]], 'counter 2 (completions)'],
        ] as [$counts, $message]) {
            try {
                $this->store()->addCounts($counts);
                self::fail("no error for {$message}");
            } catch (\ValueError $e) {
                self::assertStringContainsString($message, $e->getMessage());
            }
        }
    }

    public function testAStoreErrorIsLoggedOnceAndNeverThrown(): void
    {
        $lines = $this->twoCallsToAFailingStore();
        self::assertCount(1, $lines, 'one line for two lost calls: ' . implode("\n", $lines));
        self::assertStringContainsString('could not keep capacity counts', $lines[0]);
    }

    /**
     * Runs $calls with the error log in a file of its own.
     *
     * @param callable(): void $calls
     * @return list<string> the lines logged
     */
    protected static function logOf(callable $calls): array
    {
        $log = (string) tempnam(sys_get_temp_dir(), 'sluice-capacity-log-');
        $before = ini_set('error_log', $log);
        try {
            $calls();
            return array_values(array_filter(explode("\n", (string) file_get_contents($log))));
        } finally {
            ini_set('error_log', (string) $before);
            @unlink($log);
        }
    }
}
