<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Tests\Support\SluiceTestCase;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Site;
use Sluice\Support\WordPress\Runner;
use SluiceWP\Backend\KeyStatus;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\NativeBackend;

/**
 * Each test starts from an empty queue and empty keys on the real site, with
 * the fake provider answering in 300 ms and never saturating; it ends by
 * checking that Sluice's own code logged no PHP error, warning or notice.
 */
abstract class GateTestCase extends SluiceTestCase
{
    protected function setUp(): void
    {
        Site::reset();
        Provider::reset();
    }

    protected function tearDown(): void
    {
        self::assertSame('', Site::sluiceErrors(), "Sluice's code logged errors on the site");
    }

    /** The site key of this site, as the gate names it. */
    protected static function siteKey(): string
    {
        return self::gateKeys()->site();
    }

    /** The gate's key names on this blog, as the gate, status, CLI and REST name them. */
    protected static function gateKeys(): \SluiceWP\Gate\KeyNames
    {
        return \SluiceWP\Gate\KeyNames::forBlog();
    }

    /**
     * Takes one of the site key's slots in this process, as a concurrent AI
     * step elsewhere would; keep the returned Lease while it should be held.
     */
    protected static function holdSiteSlot(int $limit = 1): Lease
    {
        $lease = (new NativeBackend())->tryAcquire([self::siteKey() => $limit], 600, 'test holder');
        self::assertInstanceOf(Lease::class, $lease, 'the test could take the site slot');
        return $lease;
    }

    /** Sluice's settings for this test (option sluice_settings). @param array<string, mixed> $settings */
    protected static function sluice(array $settings): void
    {
        update_option('sluice_settings', $settings);
    }

    /** Switches of the test hooks mu-plugin. @param array<string, mixed> $knobs */
    protected static function testKnobs(array $knobs): void
    {
        update_option('sluice_test_knobs', $knobs);
    }

    /** One CLI queue run to its end; fails if the runner did. */
    protected static function runQueueOnce(): void
    {
        $runner = Runner::cli();
        self::assertSame(0, $runner->wait(), 'the queue runner failed: ' . $runner->output());
    }

    protected static function keyStatus(string $key): ?KeyStatus
    {
        return (new NativeBackend())->operatorView()->keys()[$key] ?? null;
    }
}
