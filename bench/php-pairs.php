<?php
// One acquire+release "pair" of each way PHP can guard a critical section on
// one host, measured in the same run, interleaved round by round so that
// machine noise hits every alternative alike. Prints ns per pair (median of
// the rounds) and each alternative's cost as a multiple of Sluice's.
//
// Usage: php -d extension=.../sluice.so -d apc.enable_cli=1 bench/php-pairs.php [rounds]
// MariaDB GET_LOCK is measured when SLUICE_DB_HOST (and _PORT/_USER/_PASSWORD) reach a server.

declare(strict_types=1);

const ITERATIONS = 200000;
const DB_ITERATIONS = 2000;
$rounds = (int) ($argv[1] ?? 7);

/** @return array<string, array{iterations:int, run:callable}> */
function alternatives(): array
{
    $alts = [];
    $alts['php: two empty function calls (baseline)'] = [ITERATIONS, function (int $n): void {
        $f = static function (): void {};
        for ($i = 0; $i < $n; $i++) { $f(); $f(); }
    }];
    $limiter = new Sluice\Limiter(['bench:pairs' => 3], 60);
    $alts['sluice: tryAcquire + release'] = [ITERATIONS, function (int $n) use ($limiter): void {
        for ($i = 0; $i < $n; $i++) { $limiter->tryAcquire()->release(); }
    }];
    if (function_exists('sem_get')) {
        $sem = sem_get(ftok(__FILE__, 's'), 3, 0600, true);
        $alts['sysvsem: sem_acquire(nb) + sem_release'] = [ITERATIONS, function (int $n) use ($sem): void {
            for ($i = 0; $i < $n; $i++) { sem_acquire($sem, true); sem_release($sem); }
        }];
    }
    $fh = fopen(sys_get_temp_dir() . '/sluice-bench.lock', 'c');
    $alts['flock: LOCK_EX|LOCK_NB + LOCK_UN'] = [ITERATIONS, function (int $n) use ($fh): void {
        for ($i = 0; $i < $n; $i++) { flock($fh, LOCK_EX | LOCK_NB); flock($fh, LOCK_UN); }
    }];
    if (function_exists('apcu_enabled') && apcu_enabled()) {
        apcu_store('sluice-bench-n', 0);
        $alts['apcu: apcu_inc + apcu_dec'] = [ITERATIONS, function (int $n): void {
            for ($i = 0; $i < $n; $i++) { apcu_inc('sluice-bench-n'); apcu_dec('sluice-bench-n'); }
        }];
        $alts['apcu: apcu_add + apcu_delete'] = [ITERATIONS, function (int $n): void {
            for ($i = 0; $i < $n; $i++) { apcu_add('sluice-bench-slot', 1); apcu_delete('sluice-bench-slot'); }
        }];
    }
    $db = connect_db();
    if ($db) {
        $alts['mariadb: GET_LOCK + RELEASE_LOCK'] = [DB_ITERATIONS, function (int $n) use ($db): void {
            for ($i = 0; $i < $n; $i++) {
                $db->query("SELECT GET_LOCK('sluice-bench', 0)");
                $db->query("SELECT RELEASE_LOCK('sluice-bench')");
            }
        }];
    }
    return $alts;
}

function connect_db(): ?mysqli
{
    $host = getenv('SLUICE_DB_HOST');
    if (!$host || !class_exists('mysqli')) {
        return null;
    }
    mysqli_report(MYSQLI_REPORT_OFF);
    $socket = getenv('SLUICE_DB_SOCKET') ?: null;
    $db = @new mysqli($socket ? 'localhost' : $host, getenv('SLUICE_DB_USER') ?: 'sluice',
        getenv('SLUICE_DB_PASSWORD') ?: 'sluice', getenv('SLUICE_DB_NAME') ?: 'sluice',
        (int) (getenv('SLUICE_DB_PORT') ?: 3306), $socket);
    return $db->connect_errno ? null : $db;
}

function median(array $xs): float
{
    sort($xs);
    $n = count($xs);
    return $n % 2 ? $xs[intdiv($n, 2)] : ($xs[$n / 2 - 1] + $xs[$n / 2]) / 2;
}

$alts = alternatives();
$samples = array_fill_keys(array_keys($alts), []);
foreach ($alts as [$n, $run]) {
    $run(intdiv($n, 10));  // warm-up
}
for ($r = 0; $r < $rounds; $r++) {
    foreach ($alts as $name => [$n, $run]) {
        $t = hrtime(true);
        $run($n);
        $samples[$name][] = (hrtime(true) - $t) / $n;
    }
}

$sluice = median($samples['sluice: tryAcquire + release']);
printf("%-44s %12s %10s\n", 'pair (median of ' . $rounds . ' rounds)', 'ns/pair', 'x sluice');
foreach ($samples as $name => $xs) {
    $m = median($xs);
    printf("%-44s %12.1f %10.2f\n", $name, $m, $m / $sluice);
}
printf("PHP %s, %s, %d CPUs\n", PHP_VERSION, php_uname('m'), (int) shell_exec('nproc'));
