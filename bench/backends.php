<?php
/**
 * bench/backends.php (run by bench/backends.sh on its own test bed): the
 * three lease stores in one run, one process:
 *   1. the uncontended acquire + release pair on native (the extension's
 *      segment), database (MariaDB through $wpdb) and Redis (phpredis, the
 *      bed's Redis on loopback): median and p90 per pair, SQL queries and
 *      Redis round trips per pair; the stores take turns in rounds so that a
 *      noisy moment of the machine hits all of them;
 *   2. a release that hands the slot to a waiting ticket (the line's
 *      hand-off), timed and counted the same way;
 *   3. two PHP-FPM pools in IPC namespaces of their own (FpmPools) racing
 *      for one key of limit 2, on native (each pool its own segment) and on
 *      Redis (one store): the most slots held at one instant;
 *   4. a burn-in on Redis whose Redis is SIGKILLed and started empty while
 *      AI steps hold slots (RedisRestartRun, limit 2): the most requests the
 *      provider had in flight.
 * Its last line is exactly:
 *   backends native_us=<median pair> database_us=<...> redis_us=<...> redis_round_trips=<per pair>
 *   two_pools_max_overlap=<...> limit=<...> restart_max_in_flight=<...>
 *
 *   php bench/backends.php [--pairs=2000] [--rounds=5] [--handoffs=300]
 */

declare(strict_types=1);

require dirname(__DIR__) . '/support/WordPress/bootstrap.php';

use Sluice\Support\WordPress\FpmPools;
use Sluice\Support\WordPress\RedisRestartRun;
use Sluice\Support\WordPress\RedisTestBed;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\RedisScripts;
use SluiceWP\Backend\WaitingLine;

const LIMIT = 2;

$opts = getopt('', ['pairs:', 'rounds:', 'handoffs:']);
$pairs = max(10, (int) ($opts['pairs'] ?? 2000));
$rounds = max(1, (int) ($opts['rounds'] ?? 5));
$handoffs = max(10, (int) ($opts['handoffs'] ?? 300));
$perRound = (int) ceil($pairs / $rounds);

global $wpdb;
RedisTestBed::trust();
/** @var array<string, Backend&WaitingLine> $stores */
$stores = ['native' => new NativeBackend(), 'database' => new DatabaseBackend(), 'redis' => new RedisBackend()];
foreach ($stores as $name => $store) {
    if (($why = $store->unavailableReason()) !== null) {
        fwrite(STDERR, "bench/backends: the $name backend is not usable: $why\n");
        exit(2);
    }
}
$run = bin2hex(random_bytes(4));
/** @return array{median_us: float, p90_us: float, n: int} */
$summary = static function (array $ns): array {
    sort($ns);
    $n = count($ns);
    return ['median_us' => $ns[intdiv($n, 2)] / 1000, 'p90_us' => $ns[(int) floor($n * 0.9)] / 1000, 'n' => $n];
};
/** SQL queries and Redis round trips $work sends. @return array{int, int} */
$cost = static function (callable $work) use ($wpdb): array {
    [$q, $r] = [$wpdb->num_queries, RedisScripts::$roundTrips];
    $work();
    return [$wpdb->num_queries - $q, RedisScripts::$roundTrips - $r];
};

// 1. The pair.
$times = $queries = $trips = [];
foreach ($stores as $name => $store) {
    $key = "bench-backends/$run/$name";
    $pair = static function () use ($store, $key): void {
        $lease = $store->tryAcquire([$key => 3], 600, 'bench');
        $lease instanceof Lease || throw new RuntimeException('refused');
        $store->release($lease) || throw new RuntimeException('release');
    };
    for ($i = 0; $i < 20; $i++) {
        $pair(); // warm-up: connections, rows, loaded scripts
    }
    $times[$name] = [];
    $queries[$name] = $trips[$name] = 0;
}
for ($round = 0; $round < $rounds; $round++) {
    foreach ($stores as $name => $store) {
        $key = "bench-backends/$run/$name";
        [$q, $r] = $cost(static function () use ($store, $key, $perRound, &$times, $name): void {
            for ($i = 0; $i < $perRound; $i++) {
                $t = hrtime(true);
                $lease = $store->tryAcquire([$key => 3], 600, 'bench');
                $store->release($lease instanceof Lease ? $lease : throw new RuntimeException('refused'));
                $times[$name][] = hrtime(true) - $t;
            }
        });
        $queries[$name] += $q;
        $trips[$name] += $r;
    }
}
$pairStats = [];
foreach ($stores as $name => $store) {
    $pairStats[$name] = $summary($times[$name]) + ['queries' => $queries[$name] / count($times[$name]), 'trips' => $trips[$name] / count($times[$name])];
}

// 2. The release that hands its slot to the next ticket: hold the one slot, a ticket waits, release, the woken copy takes it.
$handoffStats = [];
foreach ($stores as $name => $store) {
    $key = "bench-backends/$run/handoff-$name";
    $holder = $store->tryAcquire([$key => 1], 600, 'holder');
    $ns = [];
    [$q, $r] = [0, 0];
    for ($i = 0; $i < $handoffs + 10; $i++) {
        $ref = random_int(1_000_000, 2_000_000_000);
        $store->enqueue([$key => 1], $ref, 'bench', 10, 0);
        $t = hrtime(true);
        [$dq, $dr] = $cost(static fn () => $store->release($holder instanceof Lease ? $holder : throw new RuntimeException('no holder')) || throw new RuntimeException('release'));
        $elapsed = hrtime(true) - $t;
        if ($i >= 10) { // after a warm-up
            $ns[] = $elapsed;
            [$q, $r] = [$q + $dq, $r + $dr];
        }
        $woken = array_filter($store->takeWakes(64), static fn ($w) => $w->ref === $ref);
        $woken !== [] || throw new RuntimeException("$name: the release woke no ticket");
        $holder = $store->tryAcquireFor([$key => 1], 600, 'woken', $ref);
    }
    $holder instanceof Lease && $store->release($holder);
    $handoffStats[$name] = $summary($ns) + ['queries' => $q / count($ns), 'trips' => $r / count($ns)];
}

printf("bench/backends: %d pairs per store in %d rounds and %d hand-offs, one process; MariaDB %s, Redis %s, PHP %s, phpredis %s, %s\n\n",
    $pairStats['native']['n'], $rounds, $handoffs, (string) $wpdb->db_server_info(), RedisTestBed::client()->info('server')['redis_version'] ?? '?',
    PHP_VERSION, (string) phpversion('redis'), php_uname('n'));
printf("%-44s %11s %11s %9s %12s %11s\n", 'per operation', 'median µs', 'p90 µs', 'queries', 'round trips', 'x database');
foreach (['acquire + release pair' => $pairStats, 'release handing its slot to a ticket' => $handoffStats] as $what => $stats) {
    foreach ($stats as $name => $s) {
        printf("%-44s %11.2f %11.2f %9.2f %12s %11.3g\n", "$name: $what", $s['median_us'], $s['p90_us'], $s['queries'],
            $name === 'redis' ? sprintf('%.2f', $s['trips']) : '-', $s['median_us'] / $stats['database']['median_us']);
    }
}
printf("\nratios: database / redis pair %.1fx; redis / native pair %.0fx\n\n",
    $pairStats['database']['median_us'] / $pairStats['redis']['median_us'], $pairStats['redis']['median_us'] / $pairStats['native']['median_us']);

// 3. Two PHP-FPM pools in IPC namespaces of their own, one key of limit LIMIT.
$pools = new FpmPools(3);
try {
    update_option('sluice_settings', ['backend' => 'native']);
    $native = $pools->race("bench-backends/$run/pools-native", LIMIT, 8, 150);
    update_option('sluice_settings', ['backend' => 'redis']);
    $redis = $pools->race("bench-backends/$run/pools-redis", LIMIT, 8, 150);
} finally {
    delete_option('sluice_settings');
    $pools->stop();
}
printf("two PHP-FPM pools, separate IPC namespaces, 8 rounds x 3 requests per pool, key limit %d: native max overlap %d (%s), redis max overlap %d (%s; backends %s)\n",
    LIMIT, $native['overlap'], json_encode($native['by']), $redis['overlap'], json_encode($redis['by']), implode(',', $redis['backends']));

// 4. Redis SIGKILLed and started empty in the middle of a burn-in.
Site::reset();
RedisTestBed::trust();
RedisTestBed::emptyStore();
$restart = RedisRestartRun::run(flows: 3, items: 4, limit: LIMIT, latencyMs: 1000, requestTimeout: 3, runners: 4);
RedisTestBed::trust();
printf("redis restart mid burn-in (3 flows x 4 items, limit %d, 4 runners + WP-Cron): restarted %s, new epoch %s, %d/%d processed, %d failed, provider max in flight %d, stalled %d, %.1f s\n\n",
    LIMIT, $restart['restarted'] ? 'yes' : 'no', $restart['epoch_changed'] ? 'yes' : 'no', $restart['processed'], $restart['items'],
    $restart['failed'], $restart['max_in_flight'], $restart['stalled'], $restart['took']);

printf("backends native_us=%.2f database_us=%.2f redis_us=%.2f redis_round_trips=%.2f two_pools_max_overlap=%d limit=%d restart_max_in_flight=%d\n",
    $pairStats['native']['median_us'], $pairStats['database']['median_us'], $pairStats['redis']['median_us'], $pairStats['redis']['trips'],
    $redis['overlap'], LIMIT, $restart['max_in_flight']);
$ok = $redis['backends'] === ['redis'] && $redis['overlap'] <= LIMIT && $restart['restarted'] && $restart['max_in_flight'] <= LIMIT
    && $restart['processed'] === $restart['items'] && $restart['failed'] === 0;
exit($ok ? 0 : 1);
