<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Tests\Support\SluiceTestCase;
use Sluice\Support\WordPress\Runner;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Holder;
use SluiceWP\Backend\KeyStatus;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\Refusal;

/**
 * What every lease store of the plugin must do, whatever it keeps leases in
 * (Symfony's lock stores are tested the same way: one contract, one subclass
 * per store). A subclass says how to build its backend here and in a child
 * process. Tests keep every Lease in a variable while it should be held: a
 * backend may release a lease whose object is dropped (the native one does).
 */
abstract class BackendContractTestCase extends SluiceTestCase
{
    abstract protected function backend(): Backend;

    /** PHP code that leaves the same kind of Backend in $backend, for child processes. */
    abstract protected function childBackendCode(): string;

    private function keyStatus(string $key): KeyStatus
    {
        $keys = $this->backend()->operatorView()->keys();
        self::assertArrayHasKey($key, $keys);
        return $keys[$key];
    }

    public function testIsAvailable(): void
    {
        self::assertNull($this->backend()->unavailableReason());
        self::assertNotSame('', $this->backend()->name());
    }

    public function testGrantsUpToTheLimitThenRefusesNamingTheKey(): void
    {
        $b = $this->backend();
        $key = self::key();
        $first = $b->tryAcquire([$key => 2], 60, 'one');
        $second = $b->tryAcquire([$key => 2], 60, 'two');
        $third = $b->tryAcquire([$key => 2], 60, 'three');
        self::assertInstanceOf(Lease::class, $first);
        self::assertInstanceOf(Lease::class, $second);
        self::assertInstanceOf(Refusal::class, $third);
        self::assertSame([$key, 2, 2], [$third->key, $third->limit, $third->active]);
        self::assertTrue($b->release($first));
        self::assertInstanceOf(Lease::class, $b->tryAcquire([$key => 2], 60, 'four'));
    }

    public function testSeveralKeysAreAllOrNothing(): void
    {
        $b = $this->backend();
        [$site, $provider] = [self::key('site'), self::key('provider')];
        $held = $b->tryAcquire([$site => 3, $provider => 1], 60, 'a');
        self::assertInstanceOf(Lease::class, $held);
        $refused = $b->tryAcquire([$site => 3, $provider => 1], 60, 'b');
        self::assertInstanceOf(Refusal::class, $refused);
        self::assertSame($provider, $refused->key);
        self::assertSame(1, $this->keyStatus($site)->active, 'a refused request takes nothing');
    }

    public function testReleaseAndRenewAnswerWhetherTheLeaseWasHeld(): void
    {
        $b = $this->backend();
        $lease = $b->tryAcquire([self::key() => 1], 60, 'x');
        self::assertInstanceOf(Lease::class, $lease);
        self::assertTrue($b->renew($lease, 120));
        self::assertTrue($b->requestStarted($lease, 30));
        self::assertTrue($b->requestFinished($lease));
        self::assertTrue($b->release($lease));
        self::assertFalse($b->release($lease));
        self::assertFalse($b->renew($lease, 120));
        self::assertFalse($b->requestStarted($lease, 30));
    }

    public function testOperatorViewShowsHoldersAsValueObjects(): void
    {
        $b = $this->backend();
        $key = self::key();
        $lease = $b->tryAcquire([$key => 2], 60, 'action 7 / job 3 / fake');
        self::assertInstanceOf(Lease::class, $lease);
        $b->requestStarted($lease, 30);
        $status = $this->keyStatus($key);
        self::assertSame([$key, 2, 1], [$status->key, $status->limit, $status->active]);
        self::assertGreaterThanOrEqual(1, $status->acquired);
        self::assertCount(1, $status->holders);
        $holder = $status->holders[0];
        self::assertInstanceOf(Holder::class, $holder);
        self::assertSame('action 7 / job 3 / fake', $holder->label);
        self::assertSame($lease->token, $holder->token);
        self::assertSame(getmypid(), $holder->pid);
        self::assertTrue($holder->requestOpen);
        self::assertGreaterThan(55000, $holder->ttlLeftMs);
    }

    public function testReleaseByTokenResetAndSweep(): void
    {
        $b = $this->backend();
        $view = $b->operatorView();
        $key = self::key();
        $a = $b->tryAcquire([$key => 3], 60, 'a');
        $others = [$b->tryAcquire([$key => 3], 60, 'b'), $b->tryAcquire([$key => 3], 60, 'c')];
        self::assertInstanceOf(Lease::class, $a);
        self::assertTrue($view->releaseToken($a->token));
        self::assertFalse($view->releaseToken($a->token));
        self::assertSame(2, $view->reset($key));
        self::assertSame(0, $this->keyStatus($key)->active);
        self::assertFalse($b->release($others[0]), 'a reset lease is no longer held');
        self::assertSame(0, $view->sweep(), 'nothing dead or expired to sweep');
    }

    public function testTheLeaseOfAKilledHolderComesBack(): void
    {
        $key = self::key('killed');
        $child = Runner::php($this->childBackendCode() . '
            $lease = $backend->tryAcquire([$key => 1], 600, "child");
            echo $lease instanceof SluiceWP\Backend\Lease ? "held\n" : "refused\n";
            sleep(60);', ['key' => $key]);
        $child->expectLine('held');
        self::assertInstanceOf(Refusal::class, $this->backend()->tryAcquire([$key => 1], 600, 'parent'));
        $child->kill(9);
        self::assertInstanceOf(Lease::class, $this->backend()->tryAcquire([$key => 1], 600, 'parent'));
    }

    /**
     * A holder killed while its provider request is open: the provider keeps
     * serving the orphaned request, so the slot drains until the request's
     * deadline instead of coming back at once.
     */
    public function testAKilledHolderWithAnOpenRequestDrainsUntilTheRequestDeadline(): void
    {
        $key = self::key('drain');
        $child = Runner::php($this->childBackendCode() . '
            $lease = $backend->tryAcquire([$key => 1], 600, "child");
            $backend->requestStarted($lease, 2);
            echo "requesting\n";
            sleep(60);', ['key' => $key]);
        $child->expectLine('requesting');
        $killedAt = microtime(true);
        $child->kill(9);
        self::assertInstanceOf(Refusal::class, $this->backend()->tryAcquire([$key => 1], 600, 'too early'));
        $granted = null;
        while ($granted === null && microtime(true) - $killedAt < 10) {
            $try = $this->backend()->tryAcquire([$key => 1], 600, 'after the drain');
            $granted = $try instanceof Lease ? $try : null;
            usleep(50000);
        }
        self::assertNotNull($granted, 'the slot came back after the drain');
        $waited = microtime(true) - $killedAt;
        self::assertGreaterThan(1.5, $waited, 'not before the open request could have ended');
        self::assertLessThan(4.0, $waited);
    }

    public function testAKilledHolderWhoseRequestHadAnsweredIsFreedAtOnce(): void
    {
        $key = self::key('answered');
        $child = Runner::php($this->childBackendCode() . '
            $lease = $backend->tryAcquire([$key => 1], 600, "child");
            $backend->requestStarted($lease, 60);
            $backend->requestFinished($lease);
            echo "answered\n";
            sleep(60);', ['key' => $key]);
        $child->expectLine('answered');
        $child->kill(9);
        self::assertInstanceOf(Lease::class, $this->backend()->tryAcquire([$key => 1], 600, 'parent'));
    }
}
