<?php
declare(strict_types=1);

namespace Sluice\WpTests\Capacity;

use Sluice\WpTests\Cli\WpCli;
use Sluice\WpTests\Gate\GateTestCase;
use SluiceWP\Capacity\KeyCapacity;

/**
 * `wp sluice capacity` in its own process, reading counts put in the segment:
 * one JSON row per key and window with the view's field names, the what-if
 * at another limit, and an exit status of 2 (the alert named on stderr)
 * while a key's utilisation stayed above 0.8 for 3 minutes, 0 otherwise. Four
 * WP-CLI processes in all (about 2 s each on a loaded machine).
 */
final class CapacityCliTest extends GateTestCase
{
    public function testJsonRowsAndTheExitStatusOfAnAlert(): void
    {
        // 25 steps a minute holding 2 s each at limit 1: rho 0.83 in every minute
        [$busy, $busyShort] = LoadedKeys::create(1, 25);
        $run = WpCli::sluice(['capacity', '--key=' . $busyShort, '--format=json']);
        self::assertSame(2, $run->exitCode, (string) $run);
        self::assertStringContainsString($busy, $run->stderr, 'the alert says which key');
        self::assertStringContainsString('0.83', $run->stderr);
        $rows = $run->json();
        self::assertSame([1, 5, 15], array_column($rows, 'window_min'));
        foreach ($rows as $row) {
            self::assertSame(KeyCapacity::FIELDS, array_keys($row), 'the field names monitoring and benchmarks read');
            self::assertSame($busy, $row['key']);
            self::assertSame(1, $row['limit']);
        }
        $five = $rows[1];
        // minutes 3 ago to now, 25 each, all inside the last 5 minutes: 100 / 300 s
        self::assertEqualsWithDelta(100 / 300, $five['arrival_rate'], 1e-5);
        self::assertEqualsWithDelta(2.0, $five['hold_mean_s'], 1e-6);
        self::assertEqualsWithDelta(0.0, $five['hold_cv'], 1e-6);
        self::assertEqualsWithDelta(100 / 300 * 2, $five['rho'], 1e-5);
        self::assertEqualsWithDelta(0.8 * 0.5 - 100 / 300, $five['headroom_per_s'], 1e-5);
        self::assertEqualsWithDelta(1.0, $five['retry_amplification'], 1e-6);

        $whatIf = WpCli::sluice(['capacity', '--key=' . $busyShort, '--window=5', '--limit=4', '--format=json']);
        self::assertSame(2, $whatIf->exitCode, 'the alert is about the limit in force: ' . $whatIf);
        $row = $whatIf->json()[0];
        self::assertSame([5, 4], [$row['window_min'], $row['limit']]);
        self::assertEqualsWithDelta(100 / 300 * 2 / 4, $row['rho'], 1e-5);
        self::assertEqualsWithDelta(0.8 * 2 - 100 / 300, $row['headroom_per_s'], 1e-5);

        // 5 a minute: rho 0.17, no alert
        [, $quietShort] = LoadedKeys::create(1, 5);
        $quiet = WpCli::sluice(['capacity', '--key=' . $quietShort, '--format=csv', '--fields=key,window_min,rho']);
        self::assertSame(0, $quiet->exitCode, (string) $quiet);
        self::assertStringStartsWith('key,window_min,rho', $quiet->stdout);

        $bad = WpCli::sluice(['capacity', '--limit=0']);
        self::assertSame(1, $bad->exitCode);
        self::assertStringContainsString('--limit must be an integer from 1', $bad->stderr);
    }
}
