<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Runner;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Gate\BoundedWait;

/**
 * The bounded wait of running work (a step taking its slot back after its
 * provider's backoff, an AI call outside a queued action) on the extension's
 * segment sleeps in the extension's bounded acquire until the holder in
 * another process releases, instead of polling the segment: the key counts
 * a refusal for each try that found it full, so a polled wait of 0.6 s
 * counts one for each of its polls (about seven), a sleeping one one. With
 * the waiting line the release reserves the slot for the waiter's ticket and
 * the sleeper takes that reservation; its lease remembers the action.
 */
final class BoundedWaitTest extends GateTestCase
{
    /** @return array<string, array{bool}> */
    public static function lines(): array
    {
        return ['with the waiting line' => [true], 'without it' => [false]];
    }

    /** @dataProvider lines */
    public function testTheWaitSleepsUntilTheHolderInAnotherProcessReleases(bool $withLine): void
    {
        $key = 'sluice-test/bounded-wait-' . bin2hex(random_bytes(4));
        $holder = Runner::php('$lease = (new Sluice\Limiter([$key => 1], 60))->tryAcquire("holder");
            echo $lease !== null ? "HELD\n" : "NOT HELD\n";
            usleep(600000);
            $lease?->release();
            echo "RELEASED\n";', ['key' => $key]);
        $holder->expectLine('HELD');
        $refusals = static fn (): int => (int) \Sluice\status()[$key]['throttled'];
        $before = $refusals();

        $backend = new NativeBackend();
        $lease = (new BoundedWait($backend, $withLine ? $backend : null))->take([$key => 1], 60, 'bounded wait test', 4242, 'default', 10.0);
        self::assertSame(0, $holder->wait(), $holder->output());
        self::assertStringContainsString('RELEASED', $holder->output());
        self::assertInstanceOf(Lease::class, $lease, 'the slot, once the holder released it');

        self::assertLessThanOrEqual(2, $refusals() - $before, 'asleep in the segment until the release, not trying it again and again');
        $holders = \Sluice\status()[$key]['holders'];
        self::assertCount(1, $holders);
        self::assertSame($withLine ? 4242 : 0, $holders[0]['ref'], 'with the line, the lease remembers the action (its ticket\'s reservation)');
        self::assertSame([], array_values(array_filter(\Sluice\line(), static fn (array $q): bool => array_key_exists($key, (array) $q['keys']) && $q['tickets'] !== [])),
            'no ticket left in the line');
        $backend->release($lease);
    }
}
