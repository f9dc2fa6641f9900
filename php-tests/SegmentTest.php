<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\Support\Process;
use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\Segments;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * Full tables, untrusted or broken segments, invalid INI settings and
 * recreate_segment(). Each test gives its children a segment of its own, so
 * this run's main segment is never touched; every child must survive the
 * exception and go on working.
 */
final class SegmentTest extends SluiceTestCase
{
    /** @var list<string> */
    private array $segments = [];
    /** @var list<string> */
    private array $fifos = [];

    protected function tearDown(): void
    {
        foreach ($this->segments as $name) {
            Segments::remove($name);
        }
        foreach ($this->fifos as $path) {
            @unlink($path);
        }
    }

    /** A named pipe a child blocks on (fgets) until the test writes a line to it. */
    private function fifo(): string
    {
        $path = sys_get_temp_dir() . '/sluice-fifo-' . bin2hex(random_bytes(4));
        self::assertTrue(posix_mkfifo($path, 0600));
        return $this->fifos[] = $path;
    }

    private function segment(string $purpose): string
    {
        return $this->segments[] = Segments::fresh($purpose);
    }

    /** Child code that reports the class and message of what $call throws, then proves it is alive. */
    private const REPORT = <<<'PHP'
        function attempt(callable $call): array {
            try { $call(); return ['none', '']; }
            catch (Throwable $e) { return [get_class($e), $e->getMessage()]; }
        }
        PHP;

    public function testFullKeyTableIsACapacityException(): void
    {
        $segment = $this->segment('keys');
        $r = Child::run(self::REPORT . <<<'PHP'
            $a = new Sluice\Limiter(['a' => 1]);
            $b = new Sluice\Limiter(['b' => 1]);
            $third = attempt(fn () => new Sluice\Limiter(['c' => 1]));
            $mixed = attempt(fn () => new Sluice\Limiter(['a' => 1, 'd' => 1]));
            // Still usable: the existing keys work.
            $lease = $a->tryAcquire();
            echo json_encode([$third, $mixed, $lease !== null, $b->tryAcquire() !== null,
                Sluice\segment_info()['key_count']]), "\n";
            PHP, [], ['sluice.segment' => $segment, 'sluice.max_keys' => 2]);
        self::assertSame(0, $r->exitCode, $r->describe());
        [$third, $mixed, $aWorks, $bWorks, $keyCount] = $r->json();
        self::assertSame('Sluice\CapacityException', $third[0]);
        self::assertStringContainsString('key table full', $third[1]);
        self::assertStringContainsString('sluice.max_keys', $third[1]);
        self::assertSame('Sluice\CapacityException', $mixed[0]);
        self::assertTrue($aWorks);
        self::assertTrue($bWorks);
        self::assertSame(2, $keyCount);
    }

    public function testFullLeaseTableIsACapacityException(): void
    {
        $segment = $this->segment('leases');
        $r = Child::run(self::REPORT . <<<'PHP'
            $limiter = new Sluice\Limiter(['k' => 10]);
            $one = $limiter->tryAcquire();
            $two = $limiter->tryAcquire();
            $full = attempt(fn () => $limiter->tryAcquire());
            $fullWait = attempt(fn () => $limiter->acquire(100));
            $one->release();
            $three = $limiter->tryAcquire();
            echo json_encode([$full, $fullWait, $three !== null, Sluice\segment_info()['leases_in_use']]), "\n";
            PHP, [], ['sluice.segment' => $segment, 'sluice.max_leases' => 2]);
        self::assertSame(0, $r->exitCode, $r->describe());
        [$full, $fullWait, $threeWorks, $inUse] = $r->json();
        self::assertSame('Sluice\CapacityException', $full[0]);
        self::assertStringContainsString('lease table full', $full[1]);
        self::assertStringContainsString('sluice.max_leases', $full[1]);
        self::assertSame('Sluice\CapacityException', $fullWait[0]);
        self::assertTrue($threeWorks, 'a freed record is reused');
        self::assertSame(2, $inUse);
    }

    /** Creates $segment in a child, lets $tamper change its file, then reports what a second child sees. */
    private function tamperedSegment(string $segment, callable $tamper): array
    {
        $create = Child::run('new Sluice\Limiter(["x" => 1]); echo json_encode("created"), "\n";', [],
            ['sluice.segment' => $segment]);
        self::assertSame('created', $create->json(), $create->describe());
        $tamper(\Sluice\segment_path($segment));
        clearstatcache();
        $r = Child::run(self::REPORT . <<<'PHP'
            $results = [
                attempt(fn () => new Sluice\Limiter(['x' => 1])),
                attempt(fn () => Sluice\status()),
                attempt(fn () => Sluice\segment_info()),
            ];
            // Alive and usable for everything that does not need the segment.
            $results[] = array_sum([1, 2, 3]);
            echo json_encode($results), "\n";
            PHP, [], ['sluice.segment' => $segment]);
        self::assertSame(0, $r->exitCode, $r->describe());
        $results = $r->json();
        self::assertSame(6, array_pop($results));
        foreach ($results as [$class, $message]) {
            self::assertSame('Sluice\SegmentException', $class, $message);
        }
        return array_column($results, 1);
    }

    public function testSegmentOwnedByAnotherUserIsRefused(): void
    {
        if (posix_geteuid() !== 0) {
            self::markTestSkipped('needs root to give the segment to another user');
        }
        $nobody = posix_getpwnam('nobody');
        self::assertIsArray($nobody);
        $messages = $this->tamperedSegment($this->segment('owner'), fn (string $file) => chown($file, 'nobody'));
        // What it found, and the exact INI lines that let the two users share one segment.
        self::assertStringContainsString('(owner nobody, group root, mode 0600) belongs neither to this user (root, uid 0)', $messages[0]);
        self::assertStringContainsString("sluice.file_mode=0660 and sluice.group=<the PHP-FPM pool's group", $messages[0]);
    }

    public function testSegmentWithTooPermissiveModeIsRefused(): void
    {
        $messages = $this->tamperedSegment($this->segment('mode'), fn (string $file) => chmod($file, 0666));
        self::assertStringContainsString('has mode 0666, more permissive than sluice.file_mode 0600', $messages[0]);
    }

    public function testSegmentWithCorruptMagicIsRefused(): void
    {
        $messages = $this->tamperedSegment($this->segment('magic'), function (string $file): void {
            $f = fopen($file, 'r+');
            fwrite($f, 'GARBAGE!');
            fclose($f);
        });
        self::assertStringContainsString('foreign or corrupt header', $messages[0]);
        self::assertStringContainsString('recreate_segment', $messages[0]);
    }

    public function testSegmentOfAnotherLayoutIsRefused(): void
    {
        $messages = $this->tamperedSegment($this->segment('layout'), function (string $file): void {
            $f = fopen($file, 'r+');
            fseek($f, 8);  // SegmentHeader::layout_version follows the 8-byte magic
            fwrite($f, pack('V', 99));
            fclose($f);
        });
        self::assertStringContainsString('has layout 99', $messages[0]);
    }

    public function testSegmentWithInconsistentSizesIsRefused(): void
    {
        $messages = $this->tamperedSegment($this->segment('sizes'), function (string $file): void {
            $f = fopen($file, 'r+');
            fseek($f, 16);  // max_keys
            fwrite($f, pack('V', 60000));
            fclose($f);
        });
        self::assertStringContainsString('sizes do not add up', $messages[0]);
    }

    /** @return array<string, array{array<string,string>, string}> */
    public static function invalidSettings(): array
    {
        return [
            'max_keys not a number' => [['sluice.max_keys' => 'lots'], 'sluice.max_keys must be a whole number'],
            'max_keys zero' => [['sluice.max_keys' => '0'], 'sluice.max_keys must be 1 to 65535'],
            'slots too big' => [['sluice.max_slots_per_key' => '70000'], 'sluice.max_slots_per_key must be 1 to 65535'],
            'max_leases negative' => [['sluice.max_leases' => '-1'], 'sluice.max_leases must be a whole number'],
            'default_ttl zero' => [['sluice.default_ttl' => '0'], 'sluice.default_ttl must be a number of seconds'],
            'file_mode not octal' => [['sluice.file_mode' => '0689'], 'sluice.file_mode must be an octal mode'],
            'file_mode without owner rw' => [['sluice.file_mode' => '0400'], 'sluice.file_mode must be an octal mode'],
            'file_mode for every user' => [['sluice.file_mode' => '0666'], 'sluice.file_mode 0666 lets every user of the host read and write the segment'],
            'file_mode readable by others' => [['sluice.file_mode' => '0644'], 'use 0600, or 0660 with sluice.group'],
            'unknown group' => [['sluice.group' => 'no-such-group-sluice'], 'sluice.group: no group named'],
            'segment name' => [['sluice.segment' => 'bad/name'], 'sluice.segment may contain only'],
        ];
    }

    /** @dataProvider invalidSettings */
    public function testInvalidSettingsWarnAtStartupAndRefuseToAttach(array $ini, string $expected): void
    {
        $ini += ['sluice.segment' => $this->segment('ini')];
        $r = Child::run(self::REPORT . <<<'PHP'
            echo json_encode([
                attempt(fn () => new Sluice\Limiter(['x' => 1])),
                attempt(fn () => Sluice\status()),
                attempt(fn () => Sluice\recreate_segment()),
                'alive',
            ]), "\n";
            PHP, [], $ini);
        self::assertSame(0, $r->exitCode, $r->describe());
        self::assertStringContainsString('Warning', $r->stderr);
        self::assertStringContainsString($expected, $r->stderr);
        [$construct, $status, $recreate, $alive] = $r->json();
        foreach ([$construct, $status, $recreate] as [$class, $message]) {
            self::assertSame('Sluice\SegmentException', $class);
            self::assertStringContainsString($expected, $message);
        }
        self::assertSame('alive', $alive);
        try {
            self::assertFileDoesNotExist(\Sluice\segment_path($ini['sluice.segment']));
        } catch (\ValueError $e) {
            // A name no segment can have: nothing could have been created under it.
            self::assertStringContainsString('sluice.segment may contain only', $e->getMessage());
        }
    }

    public function testGroupSettingAcceptsNamesAndNumbers(): void
    {
        $group = posix_getgrgid(posix_getegid());
        foreach ([$group['name'], (string) $group['gid']] as $setting) {
            $segment = $this->segment('group');
            $r = Child::run('$l = (new Sluice\Limiter(["g" => 1]))->tryAcquire(); echo json_encode($l !== null), "\n";',
                [], ['sluice.segment' => $segment, 'sluice.group' => $setting, 'sluice.file_mode' => '0660']);
            self::assertTrue($r->json(), $r->describe());
            self::assertSame('', $r->stderr);
            clearstatcache();
            self::assertSame(0660, fileperms(\Sluice\segment_path($segment)) & 0777);
            self::assertSame($group['gid'], filegroup(\Sluice\segment_path($segment)));
        }
    }

    /**
     * A creator that cannot give the segment its group (a user outside
     * sluice.group) fails, and leaves nothing behind: otherwise the next
     * attach would adopt the object as it is, without the group.
     */
    public function testAGroupThatCannotBeAppliedLeavesNoSegmentBehind(): void
    {
        if (posix_geteuid() !== 0) {
            self::markTestSkipped('needs root to run a child as nobody');
        }
        $segment = $this->segment('group-denied');
        // nobody may not be able to read the checkout: it loads a world-readable copy.
        $so = tempnam(sys_get_temp_dir(), 'sluice-so-');
        copy(getenv('SLUICE_TEST_EXT') ?: dirname(__DIR__) . '/ext-build/modules/sluice.so', $so);
        chmod($so, 0644);
        try {
            $cmd = array_merge(['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'],
                Child::phpCommand(['extension' => $so, 'sluice.segment' => $segment, 'sluice.group' => 'root',
                    'sluice.file_mode' => '0660']),
                ['-r', 'for ($i = 0; $i < 3; $i++) { try { Sluice\segment_info(); echo "attached\n"; }'
                    . ' catch (Sluice\SegmentException $e) { echo get_class($e), ": ", $e->getMessage(), "\n"; } }']);
            $result = Process::execute($cmd, 30.0, cwd: sys_get_temp_dir());
            self::assertSame(0, $result->exitCode, $result->describe());
            $out = $result->stdout;
        } finally {
            unlink($so);
        }
        $lines = explode("\n", trim($out));
        self::assertCount(3, $lines, $out);
        foreach ($lines as $line) {
            self::assertStringStartsWith('Sluice\SegmentException: ', $line, 'every attempt fails, none adopts a half-made segment');
            self::assertStringContainsString('sluice.group', $line);
        }
        clearstatcache();
        self::assertFileDoesNotExist(\Sluice\segment_path($segment));
        self::assertFileDoesNotExist(\Sluice\segment_path($segment) . '.lock');
    }

    public function testSegmentIsCreatedWithTheConfiguredGeometryAndMode(): void
    {
        $segment = $this->segment('geometry');
        $r = Child::run('echo json_encode(Sluice\segment_info()), "\n";', [],
            ['sluice.segment' => $segment, 'sluice.max_keys' => 3, 'sluice.max_slots_per_key' => 5, 'sluice.max_leases' => 7]);
        $info = $r->json();
        self::assertSame([3, 5, 7, 0, 0, 0], [$info['max_keys'], $info['slots_per_key'], $info['max_leases'],
            $info['key_count'], $info['leases_in_use'], $info['repairs']]);
        clearstatcache();
        self::assertSame(0600, fileperms(\Sluice\segment_path($segment)) & 0777);
        self::assertSame($info['size_bytes'], filesize(\Sluice\segment_path($segment)));
    }

    public function testRecreateSegmentStartsANewGenerationThatEveryProcessFollows(): void
    {
        $segment = $this->segment('recreate');
        $fifo = $this->fifo();
        // A second process holds a lease and a limiter on the same segment, and
        // reports after the first one recreated it.
        $other = Child::start(<<<'PHP'
            $limiter = new Sluice\Limiter(['r' => 1]);
            $lease = $limiter->tryAcquire();
            echo "held\n";
            fgets(fopen($fifo, 'r'));
            $after = $limiter->tryAcquire();
            echo json_encode([$lease->isHeld(), $lease->release(), $after !== null,
                Sluice\segment_info()['generation'], array_map(fn (array $k) => $k['active'], Sluice\status())]), "\n";
            PHP, ['fifo' => $fifo], ['sluice.segment' => $segment]);
        $other->expectLine('held');
        $r = Child::run(<<<'PHP'
            $limiter = new Sluice\Limiter(['r' => 1]);
            $refused = $limiter->tryAcquire() === null;
            $generation = Sluice\recreate_segment();
            $lease = $limiter->tryAcquire();
            $status = array_map(fn (array $k) => $k['active'], Sluice\status());
            echo json_encode([$refused, $generation, $lease !== null, Sluice\segment_info(), $status]), "\n";
            PHP, [], ['sluice.segment' => $segment]);
        [$refused, $generation, $granted, $info, $status] = $r->json();
        self::assertSame(['r' => 1], $status, 'the lease is on the key named r in the new segment');
        self::assertTrue($refused, 'the key was full before');
        self::assertSame(2, $generation);
        self::assertTrue($granted, 'the limiter re-resolves its keys in the new segment');
        self::assertSame(2, $info['generation']);
        file_put_contents($fifo, "go\n");
        $result = $other->wait();
        // The old lease is simply not held; the limiter works on generation 2.
        self::assertSame([false, false, true, 2, ['r' => 1]], $result->json(), $result->describe());
    }

    /**
     * The segment's name unlinked under running processes (rm in /dev/shm,
     * systemd-logind's RemoveIPC=): within about a second they move to the
     * segment now under the name, so the host has one limit again.
     */
    public function testProcessesMoveOffASegmentWhoseNameWasUnlinked(): void
    {
        $segment = $this->segment('unlinked');
        $fifo = $this->fifo();
        $old = Child::start(<<<'PHP'
            $limiter = new Sluice\Limiter(['u' => 1]);
            $lease = $limiter->tryAcquire();
            echo "held\n";
            fgets(fopen($fifo, 'r'));
            usleep(1100000);  // the once-a-second link check is due
            $again = $limiter->tryAcquire();
            echo json_encode([$again === null, $lease->isHeld(), array_map(fn (array $k) => $k['active'], Sluice\status()),
                array_column(Sluice\status()['u']['holders'] ?? [], 'pid')]), "\n";
            PHP, ['fifo' => $fifo], ['sluice.segment' => $segment]);
        $old->expectLine('held');
        Segments::remove($segment);
        $newcomer = Child::start(<<<'PHP'
            $lease = (new Sluice\Limiter(['u' => 1]))->tryAcquire();
            echo $lease ? "held " . getmypid() . "\n" : "refused\n";
            sleep(10);
            PHP, [], ['sluice.segment' => $segment]);
        $line = $newcomer->readLine();
        self::assertMatchesRegularExpression('/^held \d+$/', $line, 'a newcomer creates a segment under the name');
        $newcomerPid = (int) substr($line, 5);
        file_put_contents($fifo, "go\n");
        $result = $old->wait();
        self::assertSame([true, false, ['u' => 1], [$newcomerPid]], $result->json(), $result->describe());
        $newcomer->kill();
    }
}
