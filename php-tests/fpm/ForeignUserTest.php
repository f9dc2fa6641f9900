<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

use Sluice\Tests\Support\Segments;

/**
 * A separate unprivileged user (created here, removed after), neither root
 * nor in sluice.group, cannot attach to the segment: it gets a clear
 * Sluice\SegmentException, and the segment, its counters and the stack are
 * untouched. Nor can it plant a segment of its own for the workers to use.
 */
final class ForeignUserTest extends FpmTestCase
{
    private static ?string $user = null;
    private static ?string $dir = null;

    public static function setUpBeforeClass(): void
    {
        self::$user = 'sluice-x' . bin2hex(random_bytes(3));
        // -M no home, -N no group of its own (primary group "users"), no login shell.
        exec('useradd -M -N -s /usr/sbin/nologin ' . escapeshellarg(self::$user) . ' 2>&1', $out, $rc);
        self::assertSame(0, $rc, 'useradd: ' . implode("\n", $out));
        // The extension and cli.php where this user can read them.
        self::$dir = sys_get_temp_dir() . '/sluice-foreign-' . bin2hex(random_bytes(3));
        mkdir(self::$dir, 0755);
        copy(Stack::ext(), self::$dir . '/sluice.so');
        copy(dirname(__FILE__) . '/cli.php', self::$dir . '/cli.php');
        chmod(self::$dir . '/sluice.so', 0755);
        chmod(self::$dir . '/cli.php', 0644);
    }

    public static function tearDownAfterClass(): void
    {
        if (self::$user !== null) {
            exec('userdel ' . escapeshellarg(self::$user) . ' 2>&1', $out, $rc);
            self::$user = null;
        }
        if (self::$dir !== null) {
            exec('rm -rf ' . escapeshellarg(self::$dir));
            self::$dir = null;
        }
    }

    private static function asForeignUser(array $args, array $ini = []): Cli
    {
        return Cli::run($args, $ini, 20, self::$user, self::$dir . '/sluice.so', self::$dir . '/cli.php');
    }

    private static function fileState(): array
    {
        clearstatcache();
        $st = stat(Stack::segmentFile());
        return ['uid' => $st['uid'], 'gid' => $st['gid'], 'mode' => $st['mode'] & 07777, 'size' => $st['size'],
            'ino' => $st['ino'], 'lock' => stat(Stack::segmentFile() . '.lock')['mode'] & 07777];
    }

    public function testAForeignUserCannotAttachAndNothingIsCorrupted(): void
    {
        Stack::ensure();
        $key = self::key('foreign');
        $r = Http::get("hold.php?key=$key&limit=2&ms=0");
        self::assertSame(200, $r['status'], $r['raw']);
        $before = self::keyStatus($key);
        $infoBefore = self::info();
        $fileBefore = self::fileState();

        // With the documented settings (0660, group www-data) and with the defaults (0600, no group).
        foreach ([[], ['sluice.file_mode' => '0600', 'sluice.group' => null]] as $ini) {
            foreach ([['info'], ['try', $key, '2'], ['hold', $key, '2', '0', 'intruder'], ['sweep']] as $args) {
                $cli = self::asForeignUser($args, $ini);
                $what = 'as ' . self::$user . ': cli.php ' . implode(' ', $args) . ' ' . json_encode($ini);
                self::assertSame(3, $cli->exitCode(), "$what: " . json_encode($cli->lines()) . $cli->stderr());
                $err = $cli->last();
                self::assertSame(self::$user, $err['user'], $what);
                self::assertSame('Sluice\SegmentException', $err['class'], $what);
                self::assertStringStartsWith('sluice: permission denied opening segment ' . Segments::shmName(Stack::segment())
                    . ' (owner ', $err['message'], $what);
                self::assertStringContainsString('mode 0660; this process runs as ' . self::$user . ', group users)', $err['message'], $what);
                self::assertStringNotContainsString('Segmentation', $cli->stderr(), $what);
            }
        }
        self::note('foreign user: ' . $err['message']);

        // Nothing changed: the file, the table, the key's counters.
        self::assertSame($fileBefore, self::fileState());
        self::assertEquals($before, self::keyStatus($key));
        $infoAfter = self::info();
        self::assertSame($infoBefore['repairs'], $infoAfter['repairs']);
        self::assertSame($infoBefore['generation'], $infoAfter['generation']);

        // And the stack keeps working: 6 concurrent requests on limit 2.
        $http = new Http();
        for ($i = 0; $i < 6; $i++) {
            $http->add("hold.php?key=$key&limit=2&ms=300&label=after-$i");
        }
        $results = $http->waitAll(30);
        self::assertGrantedOrThrottled($results, 2);
        self::assertSame(2, self::byStatus($results)[200] ?? 0);
        self::assertConsistent(self::status(), self::info());
    }

    /**
     * The user creates the segment before anyone else (a squatter), with a
     * mode wider than the workers' sluice.file_mode: workers and root refuse
     * to use it, with a message that names the problem.
     */
    public function testASegmentPlantedByAForeignUserIsRefused(): void
    {
        try {
            Stack::restartFpm();
            Stack::removeSegment();
            // (sluice.file_mode refuses 0666 itself, so the squatter widens its own file afterwards, as it may.)
            $planted = self::asForeignUser(['info'], ['sluice.file_mode' => '0600', 'sluice.group' => null]);
            self::assertSame(0, $planted->exitCode(), json_encode($planted->lines()) . $planted->stderr());
            chmod(Stack::segmentFile(), 0666);
            self::assertSame(0666, self::fileState()['mode']);

            $r = Http::get('hold.php?key=planted&limit=1&ms=0');
            self::assertSame(503, $r['status'], $r['raw']);
            self::assertSame('Sluice\SegmentException', $r['body']['class']);
            self::assertStringContainsString('has mode 0666, more permissive than sluice.file_mode 0660 (owner ' . self::$user . ', group users); refusing to use it',
                $r['body']['message']);
            self::note('worker vs planted 0666 segment: ' . $r['body']['message']);

            $root = Cli::run(['try', 'planted', '1']);
            self::assertSame(3, $root->exitCode());
            self::assertSame('Sluice\SegmentException', $root->last()['class']);

            // Same mode as ours but a foreign owner outside sluice.group: refused too.
            Stack::restartFpm();
            Stack::removeSegment();
            $planted = self::asForeignUser(['info'], ['sluice.file_mode' => '0660', 'sluice.group' => null]);
            self::assertSame(0, $planted->exitCode(), json_encode($planted->lines()) . $planted->stderr());
            chmod(Stack::segmentFile(), 0660);  // (already 0660; readable by its group "users" only)
            $root = Cli::run(['try', 'planted', '1']);
            self::assertSame(3, $root->exitCode());
            self::assertStringContainsString('belongs neither to this user (root, uid 0) nor to root nor to sluice.group', $root->last()['message']);
        } finally {
            Stack::restartFpm();
            Stack::removeSegment();
        }
        // Back to normal once the planted segment is gone.
        $r = Http::get('hold.php?key=planted&limit=1&ms=0');
        self::assertSame(200, $r['status'], $r['raw']);
    }
}
