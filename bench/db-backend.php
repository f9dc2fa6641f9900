<?php
/**
 * bench/db-backend.php (run by bench/db-backend.sh on its own test bed): the
 * cost of one uncontended acquire + release pair, in one process and one
 * run, for
 *   - Sluice's database backend (DatabaseBackend, through $wpdb),
 *   - Data Machine's option lease (the fixture's datamachine_fixture_limiter_acquire/release,
 *     the shape of Data Machine's OptionLeaseStore: wp_options rows probed, inserted, deleted),
 *   - MariaDB GET_LOCK(name, 0) + RELEASE_LOCK(name) through $wpdb,
 *   - Sluice's native backend (NativeBackend, the extension's shared segment),
 * plus the database backend's refusal (a full key). Each pair is timed on
 * its own (hrtime); the methods take turns in rounds so that a noisy moment
 * of the machine hits all of them. Reports the median and p90 per pair, SQL
 * queries per pair ($wpdb->num_queries) and the ratios to the database
 * backend; the last line is a machine-readable summary.
 *
 *   php bench/db-backend.php [--pairs=2000] [--rounds=5]
 */

declare(strict_types=1);

require dirname(__DIR__) . '/support/WordPress/load.php';

$opts = getopt('', ['pairs:', 'rounds:']);
$pairs = max(10, (int) ($opts['pairs'] ?? 2000));
$rounds = max(1, (int) ($opts['rounds'] ?? 5));
$perRound = (int) ceil($pairs / $rounds);

global $wpdb;
if (!function_exists('datamachine_fixture_limiter_acquire')) {
    fwrite(STDERR, "bench/db-backend: the Data Machine fixture is not active on this site\n");
    exit(2);
}
$database = new SluiceWP\Backend\DatabaseBackend();
$native = new SluiceWP\Backend\NativeBackend();
foreach (['database' => $database, 'native' => $native] as $name => $backend) {
    if (($why = $backend->unavailableReason()) !== null) {
        fwrite(STDERR, "bench/db-backend: the $name backend is not usable: $why\n");
        exit(2);
    }
}
$run = bin2hex(random_bytes(4));
$dbKey = "bench-db/$run/site";
$nativeKey = "bench-db/$run/native";
$fullKey = "bench-db/$run/full";
$lockName = "sluice-bench-$run";
$context = ['job_id' => 1, 'flow_step_id' => 'bench_1', 'pipeline_id' => 1, 'flow_id' => 1];
$full = $database->tryAcquire([$fullKey => 1], 600, 'keeps the key full');

/** @var array<string, array{label: string, pair: callable(): void}> $methods */
$methods = [
    'database' => ['label' => 'Sluice database backend (tryAcquire + release)', 'pair' => static function () use ($database, $dbKey): void {
        $lease = $database->tryAcquire([$dbKey => 3], 600, 'bench');
        $lease instanceof SluiceWP\Backend\Lease || throw new RuntimeException('database backend refused');
        $database->release($lease) || throw new RuntimeException('database backend release');
    }],
    'datamachine' => ['label' => "Data Machine's option lease (acquire + release)", 'pair' => static function () use ($context): void {
        $lease = datamachine_fixture_limiter_acquire('bench', $context);
        $lease !== null || throw new RuntimeException('option lease refused');
        datamachine_fixture_limiter_release($lease);
    }],
    'get_lock' => ['label' => 'MariaDB GET_LOCK + RELEASE_LOCK ($wpdb)', 'pair' => static function () use ($wpdb, $lockName): void {
        (int) $wpdb->get_var($wpdb->prepare('SELECT GET_LOCK(%s, 0)', $lockName)) === 1 || throw new RuntimeException('GET_LOCK');
        $wpdb->get_var($wpdb->prepare('SELECT RELEASE_LOCK(%s)', $lockName));
    }],
    'native' => ['label' => 'Sluice native backend (tryAcquire + release)', 'pair' => static function () use ($native, $nativeKey): void {
        $lease = $native->tryAcquire([$nativeKey => 3], 600, 'bench');
        $lease instanceof SluiceWP\Backend\Lease || throw new RuntimeException('native backend refused');
        $native->release($lease) || throw new RuntimeException('native backend release');
    }],
    'database_refused' => ['label' => 'Sluice database backend, refused (key full)', 'pair' => static function () use ($database, $fullKey): void {
        $database->tryAcquire([$fullKey => 1], 600, 'bench') instanceof SluiceWP\Backend\Refusal || throw new RuntimeException('not refused');
    }],
];

$times = array_fill_keys(array_keys($methods), []);
$queries = array_fill_keys(array_keys($methods), 0);
foreach ($methods as $m) {
    for ($i = 0; $i < 20; $i++) { // warm-up: keys and rows exist, caches filled
        ($m['pair'])();
    }
}
for ($round = 0; $round < $rounds; $round++) {
    foreach ($methods as $name => $m) {
        $pair = $m['pair'];
        $q = $wpdb->num_queries;
        for ($i = 0; $i < $perRound; $i++) {
            $t = hrtime(true);
            $pair();
            $times[$name][] = hrtime(true) - $t;
        }
        $queries[$name] += $wpdb->num_queries - $q;
    }
}
$database->release($full);

$stats = [];
foreach ($times as $name => $ns) {
    sort($ns);
    $n = count($ns);
    $stats[$name] = [
        'median_us' => $ns[intdiv($n, 2)] / 1000,
        'p90_us' => $ns[(int) floor($n * 0.9)] / 1000,
        'queries' => $queries[$name] / $n,
        'pairs' => $n,
    ];
}
$db = $stats['database']['median_us'];
printf("bench/db-backend: %d pairs per method in %d rounds, one process, MariaDB %s via %s, PHP %s, %s\n\n",
    $stats['database']['pairs'], $rounds, (string) $wpdb->db_server_info(), DB_HOST, PHP_VERSION, php_uname('n'));
printf("%-50s %12s %12s %10s %14s\n", 'pair', 'median µs', 'p90 µs', 'queries', 'x database');
foreach ($stats as $name => $s) {
    printf("%-50s %12.2f %12.2f %10.2f %14s\n", $methods[$name]['label'], $s['median_us'], $s['p90_us'], $s['queries'],
        sprintf('%.3g', $s['median_us'] / $db));
}
printf("\nratios: Data Machine's option lease / database backend %.2fx; database backend / GET_LOCK pair %.2fx; database backend / native backend %.0fx\n",
    $stats['datamachine']['median_us'] / $db, $db / $stats['get_lock']['median_us'], $db / $stats['native']['median_us']);
echo json_encode(['bench' => 'db-backend'] + array_map(static fn (array $s): array => [
    'median_us' => round($s['median_us'], 3), 'p90_us' => round($s['p90_us'], 3), 'queries' => round($s['queries'], 2),
], $stats)), "\n";
