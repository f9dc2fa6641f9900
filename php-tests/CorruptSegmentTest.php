<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\Segments;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * Every process of the segment's group can write it. Random bytes written into
 * a live segment's records (past the 256-byte header, so the mutex is left
 * alone) while PHP processes use every function: no process crashes or hangs,
 * each call returns or throws a Sluice exception, and the table is repaired.
 * (bench/fuzz.cpp does the same with the core alone, 1,000 rounds in ctest,
 * also under ASan; this covers the glue that turns the records into PHP values.)
 */
final class CorruptSegmentTest extends SluiceTestCase
{
    private const ROUNDS = 300;

    public function testRandomBytesInALiveSegmentNeverCrashOrHangAProcess(): void
    {
        $segment = Segments::fresh('fuzz');
        $ini = ['sluice.segment' => $segment, 'sluice.max_keys' => 16, 'sluice.max_slots_per_key' => 8,
            'sluice.max_leases' => 64, 'sluice.max_tickets' => 64, 'sluice.reservation_ms' => 20];
        $stop = tempnam(sys_get_temp_dir(), 'sluice-fuzz-stop-');
        unlink($stop);
        try {
            Child::run('new Sluice\Limiter(["k0" => 1]);', [], $ini);  // creates the segment
            $workers = [];
            for ($w = 0; $w < 3; $w++) {
                $workers[] = Child::start(<<<'PHP'
                    $scopes = ['fuzz/1', 'fuzz/2'];
                    $held = []; $tickets = []; $ops = 0; $refusals = 0;
                    while (!file_exists($stop)) {
                        try {
                            $scope = $scopes[random_int(0, 1)];
                            $keys = [];
                            foreach (array_slice(['k0', 'k1', 'k2', 'k3'], random_int(0, 2), random_int(1, 2)) as $k) {
                                $keys[$k] = random_int(1, 3);
                            }
                            $limiter = new Sluice\Limiter($keys, random_int(1, 3), $scope);
                            switch (random_int(0, 11)) {
                                case 0: case 1: if ($l = $limiter->tryAcquire(str_repeat('x', random_int(0, 120)))) { $held[] = $l; } break;
                                case 2: if ($l = $limiter->acquire(random_int(0, 3))) { $held[] = $l; } break;
                                case 3: if ($l = $limiter->tryAcquireFor(random_int(1, 6), 'job')) { $held[] = $l; } break;
                                case 4: if ($held) { $l = array_pop($held); $l->requestStarted(1); $l->renew(2); $l->release(); } break;
                                case 5: $tickets[] = [$scope, $limiter->enqueue(random_int(1, 6), 'tenant', random_int(1, 100))['ticket']]; break;
                                case 6:
                                    foreach (Sluice\take_wakes($scope, 8) as $wake) { $limiter->tryAcquireFor($wake['ref']); }
                                    foreach (Sluice\take_stranded($scope, 8) as $s) { Sluice\ack_stranded($scope, $s['id']); }
                                    break;
                                case 7:
                                    if ($tickets) {
                                        [$s, $t] = $tickets[array_rand($tickets)];
                                        Sluice\ticket_set_ref($s, $t, random_int(1, 6)); Sluice\wake_missed($s, $t); Sluice\ticket_cancel($s, $t);
                                    }
                                    break;
                                case 8: json_encode(Sluice\status()); Sluice\segment_info(); break;
                                case 9: json_encode(Sluice\line()); break;
                                case 10: Sluice\sweep(); break;
                                default: if (random_int(0, 7) === 0) { Sluice\reset('k' . random_int(0, 3)); } break;
                            }
                        } catch (Sluice\Exception $e) {
                            $refusals++;  // a full table or line, or a reset: a clear refusal, not a crash
                        }
                        if (count($held) > 4) { array_shift($held); }
                        if (count($tickets) > 16) { array_shift($tickets); }
                        $ops++;
                    }
                    echo json_encode(['ops' => $ops, 'refusals' => $refusals]), "\n";
                    PHP, ['stop' => $stop], $ini);
            }
            // One round: a few random bytes, a random word or a boundary value somewhere past the header.
            $file = Segments::file($segment);
            $size = filesize($file);
            $f = fopen($file, 'r+b');
            // Rounds in batches until a worker met a corrupt record (the rate records make the
            // segment larger, so 300 random writes do not always hit a record that is checked).
            $rounds = 0;
            do {
                for ($round = 0; $round < self::ROUNDS; $round++) {
                    fseek($f, random_int(256, $size - 8));
                    $bytes = match (random_int(0, 2)) {
                        0 => random_bytes(random_int(1, 16)),
                        1 => pack('V', random_int(0, 0xffffffff)),
                        default => pack('V', [0, 1, 4, 5, 8, 9, 64, 96, 97, 0xffff, 0x10000, 0x7fffffff, 0xffffffff][random_int(0, 12)]),
                    };
                    fwrite($f, $bytes);
                    fflush($f);
                    usleep(2000);
                }
                $rounds += self::ROUNDS;
                $seen = Child::run('echo json_encode(Sluice\segment_info()), "\n";', [], $ini);
            } while ($seen->exitCode === 0 && $seen->json()['corruption_repairs'] === 0 && $rounds < 5 * self::ROUNDS);
            fclose($f);
            touch($stop);
            foreach ($workers as $w) {
                $r = $w->wait(30);
                self::assertSame(0, $r->exitCode, 'a worker crashed or hung: ' . $r->describe());
                self::assertGreaterThan(self::ROUNDS, $r->json()['ops'], $r->describe());
            }
            $after = Child::run('Sluice\sweep(); echo json_encode([count(Sluice\status()), Sluice\segment_info()]), "\n";', [], $ini);
            self::assertSame(0, $after->exitCode, $after->describe());
            [, $info] = $after->json();
            self::assertGreaterThan(0, $info['corruption_repairs'], 'the corruption was met and repaired');
            fwrite(STDERR, sprintf("\ncorrupt segment: %d rounds, %d repairs of corrupt records, %d resets\n",
                $rounds, $info['corruption_repairs'], $info['corruption_resets']));
        } finally {
            @unlink($stop);
            Segments::remove($segment);
        }
    }
}
