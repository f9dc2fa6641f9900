<?php
declare(strict_types=1);

namespace Sluice\WpTests\Provider;

use Sluice\Support\WordPress\Runner;
use Sluice\Tests\Support\SluiceTestCase;
use SluiceWP\Backend\RecordStore;
use SluiceWP\Backend\WaitingLine;
use SluiceWP\Provider\ProviderStates;

/**
 * A store's key records (RecordStore), the same contract on every backend:
 * compare-and-set on a version, exact bytes, the store's clock, and no lost
 * change when processes race.
 */
abstract class RecordStoreContractTestCase extends SluiceTestCase
{
    abstract protected function store(): RecordStore;

    /** PHP code, run in a child process, that leaves the same store in $store. */
    abstract protected function childStoreCode(): string;

    protected static function key(string $name = 'records'): string
    {
        return 'sluice/test-records/' . $name . '-' . bin2hex(random_bytes(4));
    }

    public function testAKeyWithoutARecordReadsVersionZeroAndTheStoresClock(): void
    {
        $record = $this->store()->readRecord(self::key());
        self::assertSame(0, $record->version);
        self::assertSame('', $record->data);
        self::assertEqualsWithDelta(microtime(true) * 1000, $record->nowMs, 5_000, 'the store clock is the wall clock of its host');
    }

    public function testAWriteLandsOnlyOnTheVersionItRead(): void
    {
        $store = $this->store();
        $key = self::key();
        self::assertTrue($store->writeRecord($key, 0, 'first'));
        self::assertFalse($store->writeRecord($key, 0, 'second writer of version 0'));
        $read = $store->readRecord($key);
        self::assertSame([1, 'first'], [$read->version, $read->data]);
        self::assertTrue($store->writeRecord($key, 1, 'next'));
        self::assertFalse($store->writeRecord($key, 1, 'stale'));
        self::assertFalse($store->writeRecord($key, 7, 'from the future'));
        $read = $store->readRecord($key);
        self::assertSame([2, 'next'], [$read->version, $read->data]);
    }

    public function testRecordsAreExactBytesAndPerKey(): void
    {
        $store = $this->store();
        $a = self::key('a');
        $b = self::key('b');
        $bytes = implode('', array_map('chr', range(0, 127)));
        self::assertTrue($store->writeRecord($a, 0, $bytes));
        self::assertSame($bytes, $store->readRecord($a)->data, 'every byte value, NUL included');
        self::assertSame(0, $store->readRecord($b)->version, 'another key has no record');
        $full = str_repeat("\xff", RecordStore::MAX_RECORD_BYTES);
        self::assertTrue($store->writeRecord($a, 1, $full));
        self::assertSame($full, $store->readRecord($a)->data);
        self::assertTrue($store->writeRecord($a, 2, ''));
        self::assertSame(['', 3], [$store->readRecord($a)->data, $store->readRecord($a)->version], 'an empty record is still a version');
    }

    public function testBadArgumentsAreRefusedNamingTheProblem(): void
    {
        $store = $this->store();
        foreach ([
            [self::key(), 0, str_repeat('x', RecordStore::MAX_RECORD_BYTES + 1), 'at most 128 bytes'],
            ['', 0, 'x', '1 to 64 bytes'],
            [str_repeat('k', 65), 0, 'x', '1 to 64 bytes'],
            [self::key(), -1, 'x', '0 or more'],
        ] as [$key, $version, $data, $message]) {
            try {
                $store->writeRecord($key, $version, $data);
                self::fail("no error for $message");
            } catch (\ValueError $e) {
                self::assertStringContainsString($message, $e->getMessage());
            }
        }
    }

    /**
     * Four processes each count 40 successes into one provider state through
     * ProviderStates (read, change, compare-and-set, again on a lost race):
     * every one of the 160 lands.
     */
    public function testRacingProcessesLoseNoChange(): void
    {
        $key = self::key('race');
        $children = [];
        for ($i = 0; $i < 4; $i++) {
            $children[] = Runner::php($this->childStoreCode() . '
                $states = new SluiceWP\Provider\ProviderStates($store);
                echo "ready\n";
                while (!file_exists($go)) { usleep(1000); }
                $lost = 0;
                for ($n = 0; $n < 40; $n++) {
                    $done = $states->update($key, static fn (SluiceWP\Provider\ProviderState $s) => $s->with(["successes" => $s->successes + 1]));
                    $lost += $done === null ? 1 : 0;
                }
                echo "lost $lost\n";', ['key' => $key, 'go' => $go = sys_get_temp_dir() . '/sluice-records-go-' . getmypid() . '-' . $i]);
        }
        foreach ($children as $child) {
            $child->expectLine('ready');
        }
        foreach (array_keys($children) as $i) {
            touch(sys_get_temp_dir() . '/sluice-records-go-' . getmypid() . '-' . $i);
        }
        foreach ($children as $i => $child) {
            $child->expectLine('lost 0', 60); // no change gave up after losing every race
            @unlink(sys_get_temp_dir() . '/sluice-records-go-' . getmypid() . '-' . $i);
        }
        $state = (new ProviderStates($this->store()))->read($key)->state;
        self::assertSame(160, $state->successes);
    }

    /**
     * The record's cap for the waiting line: tickets queued under a limit of 4
     * are not woken while the cap says no hand-off (an open circuit); a cap
     * of 1 lets exactly one in, at the write itself.
     */
    public function testTheCapHoldsTheLineBackUntilLifted(): void
    {
        $store = $this->store();
        self::assertInstanceOf(WaitingLine::class, $store);
        $key = self::key('cap');
        $refs = [random_int(1 << 40, 1 << 50), random_int(1 << 40, 1 << 50)];
        self::assertTrue($store->writeRecord($key, 0, 'open', RecordStore::NO_HAND_OFF));
        self::assertSame(RecordStore::NO_HAND_OFF, $store->readRecord($key)->cap);
        $tickets = [];
        foreach ($refs as $ref) {
            $tickets[] = $store->enqueue([$key => 4], $ref, 'flow-cap', 10, 0)->token;
        }
        $woken = static fn (): array => array_values(array_intersect($refs, array_map(static fn ($w) => $w->ref, $store->takeWakes(1000))));
        self::assertSame([], $woken(), 'no ticket is woken while the key is closed to hand-offs');
        self::assertTrue($store->writeRecord($key, 1, 'half-open', 1));
        self::assertSame([$refs[0]], $woken(), 'a cap of 1 lets the first ticket in, at the write');
        self::assertTrue($store->writeRecord($key, 2, 'same cap'));
        self::assertSame(1, $store->readRecord($key)->cap, 'a write without a cap keeps it');
        foreach ($tickets as $ticket) {
            $store->cancelTicket($ticket);
        }
    }
}
