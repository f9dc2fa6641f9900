<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\Lease;
use Sluice\Limiter;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * Every bad argument gets a ValueError or TypeError that names the argument and
 * the reason, creates nothing, and leaves the worker fully usable.
 */
final class BadInputTest extends SluiceTestCase
{
    private static function assertThrowsWith(string $class, string $messagePart, callable $call): void
    {
        try {
            $call();
        } catch (\Throwable $e) {
            self::assertInstanceOf($class, $e, get_class($e) . ': ' . $e->getMessage());
            self::assertStringContainsString($messagePart, $e->getMessage());
            return;
        }
        self::fail("expected $class containing '$messagePart'");
    }

    /** After every test: this process still works and no bad key was created. */
    protected function assertPostConditions(): void
    {
        $lease = (new Limiter([self::key('bad-after') => 1]))->tryAcquire();
        self::assertInstanceOf(Lease::class, $lease);
        self::assertTrue($lease->release());
        $bad = array_filter(array_map('strval', array_keys(\Sluice\status())),
            fn (string $key) => $key === '' || strlen($key) > 64 || str_contains($key, "\0"));
        self::assertSame([], $bad, 'no invalid key was ever created');
    }

    public function testEmptyLimits(): void
    {
        self::assertThrowsWith(\ValueError::class, 'Argument #1 ($limits) must name at least one key',
            fn () => new Limiter([]));
    }

    public function testMoreThanFourKeys(): void
    {
        $keyCount = \Sluice\segment_info()['key_count'];
        self::assertThrowsWith(\ValueError::class, 'must name at most 4 keys, 5 given',
            fn () => new Limiter(['b1' => 1, 'b2' => 1, 'b3' => 1, 'b4' => 1, 'b5' => 1]));
        self::assertSame($keyCount, \Sluice\segment_info()['key_count'], 'no key record was created');
        self::assertInstanceOf(Limiter::class, new Limiter(['b1' => 1, 'b2' => 1, 'b3' => 1, 'b4' => 1]));
    }

    public function testEmptyKey(): void
    {
        self::assertThrowsWith(\ValueError::class, 'Argument #1 ($limits) is invalid: key must not be empty',
            fn () => new Limiter(['' => 1]));
    }

    public function testOversizedKey(): void
    {
        $key = str_repeat('k', 65);
        self::assertThrowsWith(\ValueError::class, 'is 65 bytes; the maximum is 64', fn () => new Limiter([$key => 1]));
        $ok = new Limiter([str_repeat('k', 63) . 'x' => 1]);  // 64 bytes is fine
        self::assertNotNull($ok->tryAcquire());
    }

    public function testKeyWithNul(): void
    {
        self::assertThrowsWith(\ValueError::class, 'key must not contain NUL bytes', fn () => new Limiter(["a\0b" => 1]));
    }

    public function testLimitZeroAndNegative(): void
    {
        self::assertThrowsWith(\ValueError::class, 'limit of at least 1', fn () => new Limiter(['bad-zero' => 0]));
        self::assertThrowsWith(\ValueError::class, '-3 given for key "bad-neg"', fn () => new Limiter(['bad-neg' => -3]));
        self::assertArrayNotHasKey('bad-zero', \Sluice\status());
    }

    public function testLimitAboveSlotsPerKey(): void
    {
        self::assertThrowsWith(\ValueError::class, 'at most 64 (the segment\'s sluice.max_slots_per_key), 65 given',
            fn () => new Limiter(['bad-big' => 65]));
        self::assertThrowsWith(\ValueError::class, 'limit', fn () => new Limiter(['bad-huge' => PHP_INT_MAX]));
        self::assertArrayNotHasKey('bad-big', \Sluice\status());
        self::assertInstanceOf(Limiter::class, new Limiter([self::key('bad-64') => 64]));
    }

    public function testNonIntLimitIsATypeError(): void
    {
        self::assertThrowsWith(\TypeError::class, 'must map each key to an int limit, string given for key "t1"',
            fn () => new Limiter(['t1' => '3']));
        self::assertThrowsWith(\TypeError::class, 'float given', fn () => new Limiter(['t2' => 1.0]));
        self::assertThrowsWith(\TypeError::class, 'null given', fn () => new Limiter(['t3' => null]));
        self::assertThrowsWith(\TypeError::class, 'array given', fn () => new Limiter(['ok' => 1, 't4' => [1]]));
        self::assertThrowsWith(\TypeError::class, 'must be of type array', fn () => new Limiter('site'));
        self::assertThrowsWith(\TypeError::class, 'must be of type int', fn () => new Limiter(['t5' => 1], 'soon'));
    }

    public function testNegativeOrHugeTtl(): void
    {
        self::assertThrowsWith(\ValueError::class, 'Argument #2 ($ttl) must be between 0', fn () => new Limiter(['n' => 1], -1));
        self::assertThrowsWith(\ValueError::class, 'Argument #2 ($ttl)', fn () => new Limiter(['n' => 1], PHP_INT_MAX));
    }

    public function testRenewWithTtlZero(): void
    {
        $lease = (new Limiter([self::key('bad-renew') => 1]))->tryAcquire();
        self::assertThrowsWith(\ValueError::class, 'Argument #1 ($ttl) must be between 1', fn () => $lease->renew(0));
        self::assertThrowsWith(\ValueError::class, 'must be between 1', fn () => $lease->renew(-5));
        self::assertThrowsWith(\ValueError::class, 'Argument #2 ($ttl) must be between 1',
            fn () => \Sluice\renew($lease->token(), 0));
        self::assertTrue($lease->isHeld());
        self::assertTrue($lease->renew(1));
    }

    public function testAcquireTimeoutOutOfRange(): void
    {
        $limiter = new Limiter([self::key('bad-timeout') => 1]);
        self::assertThrowsWith(\ValueError::class, 'Argument #1 ($timeoutMs) must be between 0 and 600000 milliseconds, -1 given',
            fn () => $limiter->acquire(-1));
        self::assertThrowsWith(\ValueError::class, '600001 given', fn () => $limiter->acquire(600001));
        self::assertNotNull($limiter->acquire(0));
        self::assertThrowsWith(\ValueError::class, 'Argument #4 ($ref) must be 0 or an action id of at least 1, -5 given',
            fn () => $limiter->acquire(0, '', [], -5));
    }

    public function testMalformedTokens(): void
    {
        $good = (new Limiter([self::key('bad-token') => 1]))->tryAcquire()->token();
        foreach (['', 'abc', strtoupper($good), substr($good, 0, 39), $good . '0', substr($good, 0, 39) . 'g',
                     str_repeat(' ', 40), substr($good, 0, 20) . "\0" . substr($good, 21)] as $bad) {
            self::assertThrowsWith(\ValueError::class, 'Argument #1 ($token) must be a lease token (40 lowercase hex characters)',
                fn () => \Sluice\release($bad));
            self::assertThrowsWith(\ValueError::class, 'must be a lease token', fn () => \Sluice\renew($bad, 10));
        }
    }

    public function testWrongTypesElsewhere(): void
    {
        $limiter = new Limiter([self::key('bad-types') => 1]);
        self::assertThrowsWith(\TypeError::class, 'must be of type string', fn () => $limiter->tryAcquire([]));
        self::assertThrowsWith(\TypeError::class, 'must be of type int', fn () => $limiter->acquire('soon'));
        self::assertThrowsWith(\TypeError::class, 'must be of type string', fn () => \Sluice\reset([]));
        self::assertThrowsWith(\ArgumentCountError::class, 'expects exactly 0 arguments', fn () => \Sluice\status(1));
    }

    public function testABadKeyAfterGoodOnesCreatesNoRecordForThem(): void
    {
        $good = self::key('bad-later');
        $keyCount = \Sluice\segment_info()['key_count'];
        foreach (['' => 'must not be empty', str_repeat('k', 65) => 'is 65 bytes', "a\0b" => 'NUL bytes'] as $bad => $why) {
            self::assertThrowsWith(\ValueError::class, $why, fn () => new Limiter([$good => 1, $bad => 1]));
        }
        self::assertSame($keyCount, \Sluice\segment_info()['key_count'], 'no key record was created');
        self::assertArrayNotHasKey($good, \Sluice\status());
    }

    /** @return array<string, array{array<string,mixed>, string}> */
    public static function badLimits(): array
    {
        return [
            'no keys' => [[], 'must name at least one key'],
            'empty key' => [['' => 1], 'must not be empty'],
            'oversized key' => [[str_repeat('k', 65) => 1], 'is 65 bytes'],
            'NUL in a key' => [["a\0b" => 1], 'NUL bytes'],
            'limit above the slots' => [['over' => 65], 'must map each key to a limit of at most 64'],
        ];
    }

    /** @dataProvider badLimits */
    public function testRecreatingALimiterWithBadArgumentsKeepsItsState(array $limits, string $why): void
    {
        $key = self::key('bad-reconstruct');
        $limiter = new Limiter([$key => 1], 30);
        self::assertThrowsWith(\ValueError::class, $why, fn () => $limiter->__construct($limits));
        self::assertSame([$key => 1], $limiter->limits());
        self::assertSame(30, $limiter->ttl());
        self::assertNotNull($limiter->tryAcquire());
    }

    public function testResetOfAnInvalidKey(): void
    {
        foreach (['', str_repeat('k', 65), "a\0b"] as $bad) {
            self::assertThrowsWith(\ValueError::class, 'Sluice\reset(): Argument #1 ($key) must be a key of 1 to 64 bytes',
                fn () => \Sluice\reset($bad));
        }
    }

    public function testSegmentPathOfAnInvalidName(): void
    {
        foreach (['', 'a/b', '../x', str_repeat('n', 101), "a\0b"] as $bad) {
            self::assertThrowsWith(\ValueError::class, 'Sluice\segment_path(): Argument #1 ($name) is invalid: sluice.segment',
                fn () => \Sluice\segment_path($bad));
        }
        self::assertThrowsWith(\TypeError::class, 'must be of type ?string', fn () => \Sluice\segment_path([]));
    }

    public function testRequestMarksWithBadArguments(): void
    {
        $lease = (new Limiter([self::key('drain-bad') => 1]))->tryAcquire();
        foreach ([0, -1, 86401, PHP_INT_MAX] as $bad) {
            self::assertThrowsWith(\ValueError::class,
                'Sluice\Lease::requestStarted(): Argument #1 ($maxSeconds) must be between 1 and 86400 seconds',
                fn () => $lease->requestStarted($bad));
            self::assertThrowsWith(\ValueError::class,
                'Sluice\request_started(): Argument #2 ($maxSeconds) must be between 1 and 86400 seconds',
                fn () => \Sluice\request_started($lease->token(), $bad));
        }
        foreach (['', 'abc', strtoupper($lease->token()), $lease->token() . '0'] as $bad) {
            self::assertThrowsWith(\ValueError::class,
                'Sluice\request_started(): Argument #1 ($token) must be a lease token (40 lowercase hex characters)',
                fn () => \Sluice\request_started($bad, 5));
            self::assertThrowsWith(\ValueError::class,
                'Sluice\request_finished(): Argument #1 ($token) must be a lease token',
                fn () => \Sluice\request_finished($bad));
        }
        self::assertThrowsWith(\TypeError::class, 'must be of type int', fn () => $lease->requestStarted('soon'));
        self::assertThrowsWith(\ArgumentCountError::class, 'expects exactly 0 arguments', fn () => $lease->requestFinished(1));
        self::assertFalse(self::statusOf($lease->keys()[0])['holders'][0]['request_open'], 'nothing was marked');
        self::assertTrue($lease->requestStarted(86400));
        self::assertTrue($lease->isHeld());
    }

    public function testTestingHookWithoutArguments(): void
    {
        self::assertThrowsWith(\ArgumentCountError::class, 'expects exactly 0 arguments',
            fn () => \Sluice\Testing\park_next_acquire_in_critical_section(1));
    }
}
