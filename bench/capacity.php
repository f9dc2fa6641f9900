<?php
/**
 * bench/capacity.sh's driver (on the burn-in's test bed, bed bench-capacity): Poisson arrivals of AI steps at a
 * known rate, served by a fake provider whose latency follows a known distribution (gamma, a mean and a
 * coefficient of variation: tools/fake-provider's latency_distribution), through real CLI queue runners and
 * Sluice's gate at a limit that is the bottleneck (more runners than slots). Four runs: CV about 0.3 and about
 * 1.5, each at a utilisation rho of about 0.5 and about 0.85 (lambda = rho x limit / mean service time). Each
 * item is one Data Machine fixture job (fetch -> ai -> publish) started at its arrival time by this driver.
 *
 * Each run starts a second after a minute begins (the store counts per calendar minute: the view's window, w
 * minutes ending when it is read, then holds this run's counts alone) and reads the view w minutes and a second
 * later; over that window it compares the capacity view (`wp sluice capacity --window=<w> --format=json`, the
 * site key's row) with what the run measured by its own clock, not Sluice's counters:
 *   arrivals/s   AI steps first seen in the window (bench/capacity-probe.php: the first time Action Scheduler
 *                started the step or a copy of it, before Sluice's gate) / the window's seconds;
 *   utilisation  busy slot-seconds (the probe's start, right after the gate let the step through, to its end,
 *                right after Sluice gave the slots back; cut to the window) / (limit x the window's seconds);
 *   mean wait    first seen to start, for the steps that started in the window.
 * The view's mean wait compared is wait_measured_s (the mean wait its counters saw in the window); its
 * Little's-law and M/G/c estimates are printed beside it. One line per run, then last:
 *   capacity lambda_error=<max relative error> rho_error=<...> wait_error=<...> runs=<n>
 *
 * Options: --mean-ms=<mean service time, 2000> --limit=<2> --window=<minutes: 1, 5 or 15; 5>
 *          --runners=<CLI queue runners, 6> --runs=<which, e.g. 1,3; default all four>
 * Env: SLUICE_BENCH_WP_CLI, the wp binary (bench/capacity.sh passes tools/wp-cli's).
 */

declare(strict_types=1);

require dirname(__DIR__) . '/support/WordPress/bootstrap.php';

use Sluice\Support\Process;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

$opt = getopt('', ['mean-ms:', 'limit:', 'window:', 'runners:', 'runs:']);
$meanMs = (int) ($opt['mean-ms'] ?? 2000);
$limit = (int) ($opt['limit'] ?? 2);
$windowMin = (int) ($opt['window'] ?? 5);
$runnerCount = (int) ($opt['runners'] ?? 6);
$plan = [['cv' => 0.3, 'rho' => 0.5], ['cv' => 0.3, 'rho' => 0.85], ['cv' => 1.5, 'rho' => 0.5], ['cv' => 1.5, 'rho' => 0.85]];
if (isset($opt['runs'])) {
    // Keyed by their place in the whole plan, so run 3 is the same run (and seed) alone as among the four.
    $plan = array_intersect_key($plan, array_flip(array_map(static fn (string $n): int => (int) $n - 1, explode(',', (string) $opt['runs']))));
}
$wp = (string) getenv('SLUICE_BENCH_WP_CLI');
$windowS = 60.0 * $windowMin;

$probeDir = sys_get_temp_dir() . '/sluice-bench-capacity-' . getmypid();
@mkdir($probeDir, 0777, true);
chmod($probeDir, 0777); // the FPM workers (www-data) write there too
register_shutdown_function(static function () use ($probeDir): void {
    array_map('unlink', glob($probeDir . '/*') ?: []);
    @rmdir($probeDir);
});

/** The capacity view's rows for one window: [rows, error]. */
$readView = static function () use ($wp, $windowMin): array {
    if ($wp === '' || !is_file($wp)) {
        return [[], 'no WP-CLI binary (SLUICE_BENCH_WP_CLI)'];
    }
    $result = Process::execute([$wp, '--path=' . getenv('SLUICE_WP_DIR'), '--allow-root', 'sluice', 'capacity', '--window=' . $windowMin, '--format=json'], 60.0);
    // A non-zero exit is an alert (rho above 0.8 for 3 minutes at the busier runs): the rows are still printed.
    $rows = json_decode($result->stdout, true);
    if (!is_array($rows)) {
        return [[], 'wp sluice capacity printed no JSON (exit ' . $result->exitCode . '): ' . trim(substr($result->stderr . $result->stdout, 0, 300))];
    }
    return [$rows, null];
};

/** @return array{seen: array<int, float>, start: array<int, float>, end: array<int, float>} per job: first seen, start, end */
$probed = static function () use ($probeDir): array {
    $out = ['seen' => [], 'start' => [], 'end' => []];
    foreach (glob($probeDir . '/probe-*.log') ?: [] as $file) {
        foreach (file($file, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
            [$event, $job, $at] = explode(' ', $line) + ['', '0', '0'];
            if (isset($out[$event])) {
                // The first sighting; the last start and end (a step that failed and ran again: its last run).
                $out[$event][(int) $job] = $event === 'seen' ? min($out[$event][(int) $job] ?? INF, (float) $at) : max($out[$event][(int) $job] ?? 0.0, (float) $at);
            }
        }
    }
    return $out;
};

$relError = static fn (?float $view, float $measured): ?float => $view === null || $measured <= 0.0 ? null : abs($view - $measured) / $measured;
$fmt = static fn (?float $x, string $f = '%.3f'): string => $x === null ? 'n/a' : sprintf($f, $x);

$which = sluice_test_action_scheduler_which();
printf("bench-capacity: %d runs, Poisson arrivals of AI steps, gamma service times (mean %d ms), Sluice's limit %d, %d CLI queue runners; a %d-minute window each; Action Scheduler: %s\n\n",
    count($plan), $meanMs, $limit, $runnerCount, $windowMin, $which);

$errors = ['lambda' => [], 'rho' => [], 'wait' => []];
$viewMissing = null;
foreach ($plan as $i => $run) {
    $lambda = $run['rho'] * $limit / ($meanMs / 1000);
    Site::reset();
    Provider::reset(latencyMs: $meanMs);
    Provider::configure(['latency_distribution' => ['kind' => 'gamma', 'mean_ms' => $meanMs, 'cv' => $run['cv'], 'seed' => 100 + $i]]);
    Site::configure(
        ['queue_tuning' => ['batch_size' => 1, 'concurrent_batches' => $runnerCount + 1]],
        ['request_timeout' => 120.0, 'retry_base_delay' => 1, 'max_attempts' => 3],
        ['enabled' => true, 'site_limit' => $limit, 'waiting_line' => true],
    );
    array_map('unlink', glob($probeDir . '/*') ?: []);
    update_option('sluice_bench_capacity_dir', $probeDir, true);

    // The arrival times (s from the start): exponential gaps, seeded per run.
    mt_srand(1000 + $i);
    $schedule = [];
    $readAfter = $windowS + 1.0;
    for ($t = 0.0; $t < $readAfter; $t += -log((mt_rand() + 1) / (mt_getrandmax() + 2)) / $lambda) {
        $schedule[] = $t;
    }
    printf("run %d: cv %.1f, rho %.2f: %d arrivals planned at %.3f/s over %.0f s\n", $i + 1, $run['cv'], $run['rho'], count($schedule), $lambda, $readAfter);

    // A second into the next minute (at once when this one began less than a second ago).
    $intoMinute = fmod(microtime(true), 60.0);
    if ($intoMinute > 1.5) {
        usleep((int) ((61.0 - $intoMinute) * 1_000_000));
    }
    $start = microtime(true);
    $next = 0;
    $view = null;
    $viewError = null;
    $readAt = 0.0;
    $done = static function () use (&$next, &$view, &$viewError, &$readAt, $schedule, $start, $readAfter, $readView): bool {
        $now = microtime(true) - $start;
        while ($next < count($schedule) && $schedule[$next] <= $now) {
            datamachine_fixture_start_flow('1', 1);
            $next++;
        }
        if ($now < $readAfter) {
            return false;
        }
        $before = microtime(true);
        [$view, $viewError] = $readView();
        $readAt = ($before + microtime(true)) / 2; // the command computes its "now" between the two
        return true;
    };
    Runner::until($done, $runnerCount, $readAfter + 120, 'WP CLI', false);
    $from = $readAt - $windowS;

    // Measured by the bench's clock, over [readAt - window, readAt].
    $probe = $probed();
    $arrivals = count(array_filter($probe['seen'], static fn (float $at): bool => $at >= $from && $at < $readAt));
    $busy = 0.0;
    $waits = [];
    foreach ($probe['start'] as $job => $started) {
        $end = ($probe['end'][$job] ?? 0.0) >= $started ? $probe['end'][$job] : $readAt; // still running when the view was read
        $busy += max(0.0, min($end, $readAt) - max($started, $from));
        if ($started >= $from && $started < $readAt && isset($probe['seen'][$job])) {
            $waits[] = max(0.0, $started - $probe['seen'][$job]);
        }
    }
    $measured = ['lambda' => $arrivals / $windowS, 'rho' => $busy / ($limit * $windowS), 'wait' => $waits === [] ? 0.0 : array_sum($waits) / count($waits)];

    $row = null;
    foreach ($view ?? [] as $candidate) {
        if (str_ends_with((string) ($candidate['key'] ?? ''), '/site') && (int) ($candidate['window_min'] ?? 0) === $windowMin) {
            $row = $candidate;
        }
    }
    if ($row === null) {
        $viewMissing ??= $viewError ?? 'no row for the site key in wp sluice capacity --window=' . $windowMin;
    }
    $num = static fn (string $field): ?float => $row !== null && is_numeric($row[$field] ?? null) ? (float) $row[$field] : null;
    $e = [
        'lambda' => $relError($num('arrival_rate'), $measured['lambda']),
        'rho' => $relError($num('rho'), $measured['rho']),
        'wait' => $relError($num('wait_measured_s'), $measured['wait']),
    ];
    foreach ($e as $k => $v) {
        if ($v !== null) {
            $errors[$k][] = $v;
        }
    }
    printf("capacity-run %d cv=%.1f rho_target=%.2f lambda_planned=%.3f | measured: lambda=%.3f rho=%.3f wait_s=%.2f (%d steps started, %d arrived) | view: lambda=%s rho=%s wait_measured_s=%s wait_little_s=%s wait_mgc_s=%s hold_mean_s=%s hold_cv=%s line=%s | error: lambda=%s rho=%s wait=%s\n",
        $i + 1, $run['cv'], $run['rho'], $lambda, $measured['lambda'], $measured['rho'], $measured['wait'], count($waits), $arrivals,
        $fmt($num('arrival_rate')), $fmt($num('rho')), $fmt($num('wait_measured_s'), '%.2f'), $fmt($num('wait_little_s'), '%.2f'), $fmt($num('wait_mgc_s'), '%.2f'),
        $fmt($num('hold_mean_s')), $fmt($num('hold_cv')), $fmt($num('line_length'), '%.0f'),
        $fmt($e['lambda']), $fmt($e['rho']), $fmt($e['wait']));
}
update_option('sluice_bench_capacity_dir', '', true);

if ($viewMissing !== null) {
    echo "bench-capacity: the capacity view could not be compared: {$viewMissing}\n";
}
$max = static fn (array $xs): string => $xs === [] ? 'n/a' : sprintf('%.3f', max($xs));
printf("capacity lambda_error=%s rho_error=%s wait_error=%s runs=%d\n", $max($errors['lambda']), $max($errors['rho']), $max($errors['wait']), count($plan));
exit($viewMissing !== null ? 1 : 0);
