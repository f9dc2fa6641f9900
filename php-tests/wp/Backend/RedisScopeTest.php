<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Tests\Support\SluiceTestCase;
use Sluice\Support\WordPress\RedisTestBed;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\Refusal;

/**
 * Action ids are unique only per blog, while a network (or several installs
 * sharing a hash tag) shares one Redis line: every ticket, wake and stranded
 * lease carries its blog's scope ("<install>/<blog>"), and one blog's
 * process acts only on its own. Two blogs here defer the same action id for
 * the same key at once.
 */
final class RedisScopeTest extends SluiceTestCase
{
    protected function setUp(): void
    {
        RedisTestBed::trust();
    }

    private static function blog(int $id): RedisBackend
    {
        return new RedisBackend(null, 0, "scopetest/{$id}");
    }

    public function testTwoBlogsWithTheSameActionIdKeepTheirTicketsWakesAndReservationsApart(): void
    {
        [$one, $two] = [self::blog(1), self::blog(2)];
        $key = self::key('shared-provider');
        $ref = random_int(1_000_000, 2_000_000_000);
        $holder = $one->tryAcquire([$key => 1], 60, 'holder');
        self::assertInstanceOf(Lease::class, $holder);
        $ticketOne = $one->enqueue([$key => 1], $ref, 'flow:a', 10, 0);
        $ticketTwo = $two->enqueue([$key => 1], $ref, 'flow:a', 10, 0);
        self::assertTrue($ticketOne->isNew);
        self::assertTrue($ticketTwo->isNew, 'the same action id of another blog is another ticket');
        self::assertNotSame($ticketOne->token, $ticketTwo->token);

        self::assertFalse($two->moveTicket($ticketOne->token, $ref + 1), 'another blog\'s ticket is not moved');
        self::assertFalse($two->cancelTicket($ticketOne->token), 'nor cancelled');

        self::assertTrue($one->release($holder)); // hands the slot to blog 1's ticket, first in line
        self::assertSame([], $two->takeWakes(64), 'blog 2 never sees blog 1\'s wake');
        self::assertFalse($two->wakeMissed($ticketOne->token));
        self::assertInstanceOf(Refusal::class, $two->tryAcquireFor([$key => 1], 60, 'blog 2, same id', $ref), 'nor takes its reservation');
        $wakes = $one->takeWakes(64);
        self::assertSame([[$ticketOne->token, $ref]], array_map(static fn ($w) => [$w->ticket, $w->ref], $wakes));
        $lease = $one->tryAcquireFor([$key => 1], 60, 'blog 1, woken', $ref);
        self::assertInstanceOf(Lease::class, $lease);
        self::assertTrue($one->release($lease)); // now blog 2's ticket is next
        self::assertSame([$ticketTwo->token], array_map(static fn ($w) => $w->ticket, $two->takeWakes(64)));
        self::assertInstanceOf(Lease::class, $lease = $two->tryAcquireFor([$key => 1], 60, 'blog 2, woken', $ref));
        $two->release($lease);
    }

    public function testAKilledHoldersActionIdGoesOnlyToItsOwnBlog(): void
    {
        $key = self::key('stranded');
        $ref = random_int(1_000_000, 2_000_000_000);
        $child = Runner::php('require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\RedisBackend(null, 0, "scopetest/1");
            $lease = $backend->tryAcquireFor([$key => 1], 600, "blog 1 step", $ref);
            echo $lease instanceof SluiceWP\Backend\Lease ? "held\n" : "refused\n";
            sleep(60);', ['key' => $key, 'ref' => $ref]);
        $child->expectLine('held');
        $child->kill(9);
        [$one, $two] = [self::blog(1), self::blog(2)];
        $two->operatorView()->sweep(); // blog 2's sweep reclaims the dead holder of this host ...
        self::assertSame([], array_filter($two->takeStranded(64), static fn ($s) => $s->ref === $ref), '... but does not get its action id');
        self::assertSame(['blog 1 step'], array_map(static fn ($s) => $s->label, array_values(array_filter($one->takeStranded(64), static fn ($s) => $s->ref === $ref))));
    }
}
