<?php
/**
 * bench/budget.sh's driver (on the burn-in's test bed): a burn-in
 * (demo/burn-in-lib.php's BurnIn) of 3 flows x 20 items through real CLI
 * queue runners against a fake provider that enforces 30 requests a minute
 * and a tokens-per-minute budget over a sliding 60 s window (answering 429
 * above either) and sends OpenAI's x-ratelimit-* headers; Sluice has the same
 * budgets (rpm_limits, tpm_limits) and a provider limit of 8. From the
 * provider's own record of every request: how many it refused (429), the most
 * requests and tokens in any 60 s window (by arrival), and the jobs' outcome.
 *
 * Options: --tpm=<tokens per minute, default 2000> --runners=<n, default 8> --latency-ms=<ms, default 500>
 * --backend=<native|database|redis> (Sluice's store of slots and buckets; default: its own choice, the extension)
 */

declare(strict_types=1);

require dirname(__DIR__) . '/support/WordPress/bootstrap.php';
require dirname(__DIR__) . '/demo/burn-in-lib.php';

use Sluice\Demo\BurnIn;
use Sluice\Support\WordPress\Provider;

$opt = getopt('', ['tpm:', 'runners:', 'latency-ms:', 'backend:']);
$backend = (string) ($opt['backend'] ?? '');
if ($backend !== '' && !in_array($backend, ['native', 'database', 'redis'], true)) {
    fwrite(STDERR, "bench-budget: --backend is native, database or redis, not {$backend}\n");
    exit(2);
}
$rpm = 30;
$tpm = (int) ($opt['tpm'] ?? 2000);
$phase = [
    'flows' => 3,
    'items' => 20,
    'runners' => (int) ($opt['runners'] ?? 8),
    'latency_ms' => (int) ($opt['latency-ms'] ?? 500),
    'limit' => 8,
    'request_timeout' => 6,
    'wp_cron' => true,
    'live' => true,
    'live_every' => 10.0,
    'timeout' => 600,
    'sluice' => true,
    'sluice_settings' => ['provider_limits' => ['fake' => 8], 'rpm_limits' => ['fake' => $rpm], 'tpm_limits' => ['fake' => $tpm]],
    'provider_config' => ['rpm_limit' => $rpm, 'tpm_limit' => $tpm, 'rate_headers' => true],
] + ($backend !== '' ? ['backend' => $backend] : []);

/** The most of $weight over the records that arrived within any 60 s window. */
$peak = static function (array $records, callable $weight): float {
    usort($records, static fn (array $a, array $b): int => $a['start_ms'] <=> $b['start_ms']);
    $best = 0.0;
    $sum = 0.0;
    $first = 0;
    foreach ($records as $i => $r) {
        $sum += $weight($r);
        while ($records[$first]['start_ms'] <= $r['start_ms'] - 60_000) {
            $sum -= $weight($records[$first]);
            $first++;
        }
        $best = max($best, $sum);
    }
    return $best;
};

$which = sluice_test_action_scheduler_which();
printf("bench-budget: 3 flows x 20 items, %d ms calls, %d CLI queue runners + WP-Cron; provider and Sluice: %d requests and %d tokens a minute; backend %s; Action Scheduler: %s\n\n",
    $phase['latency_ms'], $phase['runners'], $rpm, $tpm, $backend !== '' ? $backend : 'auto', $which);
$r = BurnIn::run('budget', $phase);
$records = array_values(array_filter(Provider::timeline(), static fn (array $x): bool => ($x['status'] ?? 0) !== 0 || ($x['outcome'] ?? null) !== null));
$refused = count(array_filter($records, static fn (array $x): bool => (int) $x['status'] === 429));
$rpmPeak = (int) $peak($records, static fn (array $x): float => 1.0);
// Tokens the provider charged: those of the requests it took (a refused one takes none).
$tpmPeak = (int) $peak($records, static fn (array $x): float => (int) $x['status'] === 429 ? 0.0 : (float) ($x['tokens'] ?? 0));
printf("\n   makespan %.1f s, processed %d/%d, failed %d, deferrals %d, provider requests %d (429: %d)%s\n",
    $r['makespan'], $r['processed'], $r['items'], $r['failed'], BurnIn::deferrals($r), count($records), $refused,
    $r['timed_out'] !== null ? "  (stopped: {$r['timed_out']})" : '');
echo "Action Scheduler: $which\n";
printf("budget provider_429s=%d rpm_peak=%d rpm_limit=%d tpm_peak=%d tpm_limit=%d failed=%d processed=%d/%d\n",
    $refused, $rpmPeak, $rpm, $tpmPeak, $tpm, $r['failed'], $r['processed'], $r['items']);
