<?php
declare(strict_types=1);

namespace Sluice\Tests\PluginBackends;

use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\SluiceTestCase;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Refusal;
use SluiceWP\Backend\Slot;

/**
 * Tests keep every Slot in a variable while it should be held: a backend may
 * release a slot whose Slot object is dropped (the native one does).
 *
 * What every backend of the WordPress plugin must do, whatever it stores slots
 * in (Symfony's lock stores are tested the same way: one contract, one
 * subclass per store). A subclass says how to build its backend here and in a
 * child process.
 */
abstract class BackendContractTestCase extends SluiceTestCase
{
    abstract protected function backend(): Backend;

    /** PHP code that leaves a Backend in $backend, for child processes. */
    abstract protected function childBackendCode(): string;

    public function testIsAvailable(): void
    {
        self::assertNull($this->backend()->unavailableReason());
        self::assertNotSame('', $this->backend()->name());
    }

    public function testGrantsUpToTheLimitThenRefusesNamingTheKey(): void
    {
        $b = $this->backend();
        $key = self::key('contract');
        $first = $b->tryAcquire([$key => 2], 60, 'one');
        $second = $b->tryAcquire([$key => 2], 60, 'two');
        $third = $b->tryAcquire([$key => 2], 60, 'three');
        self::assertInstanceOf(Slot::class, $first);
        self::assertInstanceOf(Slot::class, $second);
        self::assertInstanceOf(Refusal::class, $third);
        self::assertSame([$key, 2, 2], [$third->key, $third->limit, $third->active]);
        self::assertTrue($b->release($first));
        self::assertInstanceOf(Slot::class, $b->tryAcquire([$key => 2], 60, 'four'));
    }

    public function testSeveralKeysAreAllOrNothing(): void
    {
        $b = $this->backend();
        [$site, $provider] = [self::key('site'), self::key('provider')];
        $held = $b->tryAcquire([$site => 3, $provider => 1], 60, 'a');
        self::assertInstanceOf(Slot::class, $held);
        $refused = $b->tryAcquire([$site => 3, $provider => 1], 60, 'b');
        self::assertInstanceOf(Refusal::class, $refused);
        self::assertSame($provider, $refused->key);
        self::assertSame(1, $b->status()[$site]['active'], 'a refused request takes nothing');
    }

    public function testReleaseAndRenewAnswerWhetherTheSlotWasHeld(): void
    {
        $b = $this->backend();
        $slot = $b->tryAcquire([self::key() => 1], 60, 'x');
        self::assertTrue($b->renew($slot, 120));
        self::assertTrue($b->release($slot));
        self::assertFalse($b->release($slot));
        self::assertFalse($b->renew($slot, 120));
    }

    public function testReleaseByTokenAndReset(): void
    {
        $b = $this->backend();
        $key = self::key();
        $a = $b->tryAcquire([$key => 3], 60, 'a');
        $others = [$b->tryAcquire([$key => 3], 60, 'b'), $b->tryAcquire([$key => 3], 60, 'c')];
        self::assertTrue($b->releaseToken($a->token));
        self::assertFalse($b->releaseToken($a->token));
        self::assertSame(2, $b->reset($key));
        self::assertSame(0, $b->status()[$key]['active']);
        self::assertFalse($b->release($others[0]), 'a reset slot is no longer held');
    }

    public function testStatusShowsHoldersWithTheirLabels(): void
    {
        $b = $this->backend();
        $key = self::key();
        $slot = $b->tryAcquire([$key => 2], 60, 'job 7 / step ai / openai');
        $row = $b->status()[$key];
        self::assertSame(1, $row['active']);
        self::assertSame(2, $row['limit']);
        self::assertSame('job 7 / step ai / openai', $row['holders'][0]['label']);
        self::assertSame($slot->token, $row['holders'][0]['token']);
    }

    public function testTheSlotOfAKilledHolderComesBack(): void
    {
        $key = self::key('killed');
        $child = Child::start($this->childBackendCode() . '
            $slot = $backend->tryAcquire([$key => 1], 600, "child");
            echo $slot instanceof SluiceWP\Backend\Slot ? "held\n" : "refused\n";
            sleep(60);', ['key' => $key]);
        $child->expectLine('held');
        self::assertInstanceOf(Refusal::class, $this->backend()->tryAcquire([$key => 1], 600, 'parent'));
        $child->kill(9);
        $child->wait();
        self::assertInstanceOf(Slot::class, $this->backend()->tryAcquire([$key => 1], 600, 'parent'));
    }
}
