<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * Key records from PHP: Sluice\key_record() and Sluice\key_record_cas(), one
 * small record per key in the segment, shared by every process of the host.
 */
final class KeyRecordTest extends SluiceTestCase
{
    public function testReadAndCompareAndSet(): void
    {
        $key = self::key('record');
        $fresh = \Sluice\key_record($key);
        self::assertSame(0, $fresh['version']);
        self::assertSame('', $fresh['data']);
        self::assertEqualsWithDelta(microtime(true) * 1000, $fresh['now_ms'], 2000);
        self::assertArrayNotHasKey($key, \Sluice\status(), 'reading does not create the key');
        self::assertTrue(\Sluice\key_record_cas($key, 0, "v1\0"));
        self::assertFalse(\Sluice\key_record_cas($key, 0, 'late'));
        self::assertSame(1, \Sluice\key_record($key)['version']);
        self::assertSame("v1\0", \Sluice\key_record($key)['data']);
        self::assertTrue(\Sluice\key_record_cas($key, 1, str_repeat('z', 128)));
        self::assertSame(str_repeat('z', 128), \Sluice\key_record($key)['data']);
    }

    public function testBadArgumentsAreValueErrorsNamingTheArgument(): void
    {
        $cases = [
            [static fn () => \Sluice\key_record(''), 'Argument #1 ($key) must be a key'],
            [static fn () => \Sluice\key_record_cas(str_repeat('k', 65), 0, ''), 'Argument #1 ($key) must be a key'],
            [static fn () => \Sluice\key_record_cas(self::key(), -1, ''), 'Argument #2 ($version) must be 0 or more'],
            [static fn () => \Sluice\key_record_cas(self::key(), 0, str_repeat('x', 129)), 'Argument #3 ($data) must be at most 128 bytes'],
        ];
        foreach ($cases as [$call, $message]) {
            try {
                $call();
                self::fail("no ValueError: $message");
            } catch (\ValueError $e) {
                self::assertStringContainsString($message, $e->getMessage());
            }
        }
    }

    /** Another process sees the record at once and loses the race it should lose. */
    public function testEveryProcessOfTheHostSharesTheRecord(): void
    {
        $key = self::key('record-shared');
        self::assertTrue(\Sluice\key_record_cas($key, 0, 'parent'));
        $result = Child::run('
            $r = \Sluice\key_record($key);
            echo $r["version"], " ", $r["data"], "\n";
            var_export(\Sluice\key_record_cas($key, 0, "child stale")); echo "\n";
            var_export(\Sluice\key_record_cas($key, $r["version"], "child")); echo "\n";', ['key' => $key]);
        self::assertSame("1 parent\nfalse\ntrue\n", $result->stdout);
        self::assertSame(['version' => 2, 'data' => 'child'], array_intersect_key(\Sluice\key_record($key), ['version' => 0, 'data' => 0]));
    }

    /** The record's cap for the waiting line: -1 wakes nobody, a cap lifted hands free slots on at once. */
    public function testTheCapHoldsTheLineBackUntilLifted(): void
    {
        \Sluice\take_wakes('', 4096);
        $key = self::key('record-cap');
        self::assertTrue(\Sluice\key_record_cas($key, 0, 'open circuit', -1));
        self::assertSame(-1, \Sluice\key_record($key)['cap']);
        $limiter = new \Sluice\Limiter([$key => 4]);
        $limiter->enqueue(101, 'flow-a');
        $limiter->enqueue(102, 'flow-a');
        self::assertSame([], \Sluice\take_wakes('', 4096), 'no ticket is woken while the cap is -1');
        self::assertTrue(\Sluice\key_record_cas($key, 1, 'half the limit', 1));
        self::assertSame([101], array_column(\Sluice\take_wakes('', 4096), 'ref'), 'a cap of 1 lets one ticket in, at once');
        self::assertTrue(\Sluice\key_record_cas($key, 2, 'same cap'));
        self::assertSame(1, \Sluice\key_record($key)['cap'], 'no cap argument keeps the cap');
        try {
            \Sluice\key_record_cas($key, 3, '', -2);
            self::fail('a cap below -1 was taken');
        } catch (\ValueError $e) {
            self::assertStringContainsString('Argument #4 ($cap)', $e->getMessage());
        }
    }
}
