<?php
declare(strict_types=1);

namespace Sluice\ApacheTests;

use Sluice\ApacheTests\Support\Apache;
use Sluice\Limiter;
use Sluice\Support\WordPress\Runner;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * Apache's prefork children (mod_php, www-data) and CLI processes (root, the
 * queue runners' php.ini) use one segment: each side sees the other's
 * holders, is refused while the other holds, and together they never hold
 * more than the limit.
 */
final class SharedSegmentTest extends SluiceTestCase
{
    public static function setUpBeforeClass(): void
    {
        Apache::installEndpoint();
    }

    public function testTheSegmentIsOneFileForTheGroupOfApachesUser(): void
    {
        $file = \Sluice\segment_path();
        clearstatcache();
        self::assertFileExists($file);
        self::assertSame('www-data', (posix_getgrgid((int) filegroup($file)) ?: [])['name'] ?? null);
        self::assertSame(0660, fileperms($file) & 0777);
        $answer = Apache::answer(Apache::hold(['key' => self::key('apache-segment'), 'limit' => 1, 'ms' => 0]));
        self::assertSame(['granted', 'apache2handler', 'www-data', \Sluice\segment_info()['name']],
            [$answer['result'], $answer['sapi'], $answer['user'], $answer['segment'] ?? null], json_encode($answer));
        self::assertContains($answer['pid'], Apache::children(), 'an Apache child answered');
    }

    public function testEachSideIsRefusedWhileTheOtherHoldsTheSlot(): void
    {
        $key = self::key('apache-shared');
        $lease = (new Limiter([$key => 1], 60))->tryAcquire('cli holder');
        self::assertNotNull($lease);
        $refused = Apache::answer(Apache::hold(['key' => $key, 'limit' => 1, 'ms' => 0]));
        self::assertSame('throttled', $refused['result'], 'the Apache child sees the CLI holder');
        self::assertContains($refused['pid'], Apache::children());
        $lease->release();

        $request = Apache::hold(['key' => $key, 'limit' => 1, 'ms' => 1500, 'label' => 'apache holder']);
        self::eventually(static fn () => count(\Sluice\status()[$key]['holders'] ?? []) === 1, 10, 'an Apache child to hold the slot');
        $holder = \Sluice\status()[$key]['holders'][0];
        self::assertSame('apache holder', $holder['label']);
        self::assertContains($holder['pid'], Apache::children(), 'the holder is an Apache child');
        self::assertNull((new Limiter([$key => 1], 60))->tryAcquire(), 'this CLI process is refused meanwhile');
        $runner = Runner::php('echo (new Sluice\Limiter([$key => 1], 60))->tryAcquire() === null ? "refused\n" : "granted\n";', ['key' => $key]);
        self::assertSame(0, $runner->wait(30));
        self::assertSame("refused\n", $runner->output(), 'and so is another CLI process');

        $answer = Apache::answer($request);
        self::assertSame(['granted', $holder['pid']], [$answer['result'], $answer['pid']]);
        self::assertNotNull((new Limiter([$key => 1], 60))->tryAcquire(), 'released at the end of the request');
    }

    public function testApacheChildrenAndCliRunnersTogetherNeverHoldMoreThanTheLimit(): void
    {
        $key = self::key('apache-overlap');
        // Two CLI runners keep the key busy for 2.5 s; Apache's children join them once both run.
        $cli = [];
        for ($i = 0; $i < 2; $i++) {
            $cli[] = Runner::php('$limiter = new Sluice\Limiter([$key => 2], 60);
                echo "ready\n";
                $intervals = [];
                $end = hrtime(true) + 2_500_000_000;
                while (hrtime(true) < $end) {
                    $lease = $limiter->acquire(500, "cli runner");
                    if ($lease === null) { continue; }
                    $from = hrtime(true);
                    usleep(random_int(50000, 120000));
                    $to = hrtime(true);
                    $lease->release();
                    $intervals[] = [$from, $to];
                    usleep(random_int(5000, 30000));
                }
                echo json_encode($intervals), "\n";', ['key' => $key]);
        }
        foreach ($cli as $runner) {
            $runner->expectLine('ready');
        }
        $requests = [];
        for ($i = 0; $i < 8; $i++) {
            $requests[] = Apache::hold(['key' => $key, 'limit' => 2, 'ms' => 150, 'wait_ms' => 15000, 'label' => "apache $i"]);
        }
        $apache = [];
        $apachePids = [];
        foreach ($requests as $request) {
            $answer = Apache::answer($request);
            self::assertSame('granted', $answer['result'], json_encode($answer));
            $apache[] = [$answer['started'], $answer['ended']];
            $apachePids[$answer['pid']] = true;
        }
        $cliHolds = [];
        foreach ($cli as $runner) {
            self::assertSame(0, $runner->wait(30), $runner->output());
            $lines = explode("\n", trim($runner->output()));
            $held = json_decode((string) end($lines), true);
            self::assertIsArray($held, $runner->output());
            self::assertNotEmpty($held, 'every CLI runner got slots');
            $cliHolds = array_merge($cliHolds, $held);
        }
        self::assertGreaterThanOrEqual(2, count($apachePids), 'several Apache children took slots');
        $cliFrom = min(array_column($cliHolds, 0));
        $cliTo = max(array_column($cliHolds, 1));
        $during = array_filter($apache, static fn (array $hold): bool => $hold[0] > $cliFrom && $hold[0] < $cliTo);
        self::assertNotEmpty($during, 'Apache children held slots while the CLI runners were at it');
        self::assertSame(2, self::maxOverlap(array_merge($apache, $cliHolds)), sprintf('at most 2 at once, and 2 reached, across %d Apache holds (%d of them among the CLI runners\' %d)', count($apache), count($during), count($cliHolds)));
        self::assertSame(0, \Sluice\status()[$key]['active']);
    }
}
