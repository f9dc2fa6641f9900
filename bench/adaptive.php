<?php
/**
 * bench/adaptive.sh's driver (on the burn-in's test bed, with the provider
 * call log php-tests/wp/mu-plugins/sluice-test-provider-calls.php as a
 * must-use plugin): the provider protection, each run a burn-in
 * (demo/burn-in-lib.php's BurnIn) from a clean site, 3 flows x 20 items,
 * 2 s provider calls, real CLI queue runners (+ WP-Cron through PHP-FPM).
 *
 *   adaptive  Sluice, provider limit 8 (the ceiling), adaptive limit and circuit breaker on (the defaults)
 *   fixed1    Sluice, provider limit 1, adaptive limit off
 *   fixed8    Sluice, provider limit 8, adaptive limit off
 *   dm        Sluice off: Data Machine's own limiter at its default (3 at once, as the burn-in's "Sluice off")
 *
 * against the capacity schedule 4 at once for 40 s, then 1 for 40 s, then 3 (a request above capacity gets
 * --over-capacity: 429 with Retry-After 1 s by default; stall = never answered, the client's cURL 28).
 * goodput_ratio = AI steps completed / the schedule's ideal over the run (the integral of capacity / 2 s from
 * the schedule's start to the run's end); over_capacity_share = the provider's own count of the time it had
 * more requests in flight than its capacity, over the run.
 *
 *   outage    Sluice adaptive, capacity 4, the provider's port closed (connection refused) for 60 s from 15 s:
 *             probes_during_outage = requests that reached the transport after the breaker opened and before
 *             the outage ended (the call log), cooldowns and breaker_opens from the provider's state.
 *   storm     the backoff storm: Data Machine's in-step retry as 0.175.11 has it (5 attempts, 2 s doubling up
 *             to 60 s, jitter), the provider answers 503 to flow 3 for 40 s; slot-seconds held while a step
 *             sleeps in backoff (each retry announcement's delay x the slots its process held then), with the
 *             give-back off (before) and on (after).
 *
 * Options: --runs=adaptive,fixed1,fixed8,dm,outage,storm --runners=8 --over-capacity=429|stall|503|529
 *   --request-timeout=6 --no-wp-cron
 */

declare(strict_types=1);

require dirname(__DIR__) . '/support/WordPress/bootstrap.php';
require dirname(__DIR__) . '/demo/burn-in-lib.php';

use Sluice\Demo\BurnIn;
use SluiceWP\Backend\BackendChoice;
use SluiceWP\Backend\RecordStore;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Provider\ProviderState;
use SluiceWP\Provider\ProviderStates;

$opt = getopt('', ['runs:', 'runners:', 'over-capacity:', 'request-timeout:', 'no-wp-cron']);
$runs = explode(',', (string) ($opt['runs'] ?? 'adaptive,fixed1,fixed8,dm,outage,storm'));
$overCapacity = (string) ($opt['over-capacity'] ?? '429');
$latencyMs = 2000;
$schedule = [[4, 40_000], [1, 40_000], [3, 0]];
$scheduleText = '4x40s,1x40s,3';
$base = [
    'flows' => 3,
    'items' => 20,
    'runners' => (int) ($opt['runners'] ?? 8),
    'latency_ms' => $latencyMs,
    'limit' => 8,
    'request_timeout' => (float) ($opt['request-timeout'] ?? 6),
    'wp_cron' => !isset($opt['no-wp-cron']),
    'live' => true,
    'live_every' => 5.0,
    'timeout' => 420,
    'sluice' => true,
    // The line's fallback timer short, as a site that runs its queue often would set it.
    'throttle_delay' => 2,
    'throttle_delay_max' => 10,
];
$provider = ['capacity_schedule' => $scheduleText, 'over_capacity' => $overCapacity, 'retry_after_s' => 1];
$configs = [
    'adaptive' => ['sluice_settings' => ['provider_limits' => ['fake' => 8], 'adaptive_limit' => true]],
    'fixed1' => ['sluice_settings' => ['provider_limits' => ['fake' => 1], 'adaptive_limit' => false]],
    'fixed8' => ['sluice_settings' => ['provider_limits' => ['fake' => 8], 'adaptive_limit' => false]],
    'dm' => ['sluice' => false, 'dm_limit' => null],
];

/** The schedule's ideal AI steps completed from its start to $seconds: the integral of capacity / call time. */
$ideal = static function (float $seconds) use ($schedule, $latencyMs): float {
    $ms = $seconds * 1000;
    $done = 0.0;
    $t = 0.0;
    foreach ($schedule as [$capacity, $length]) {
        $span = $length > 0 ? min($length, max(0.0, $ms - $t)) : max(0.0, $ms - $t);
        $done += $capacity * $span / $latencyMs;
        $t += $length;
        if ($length === 0 || $t >= $ms) {
            break;
        }
    }
    return $done;
};

$callLog = sys_get_temp_dir() . '/sluice-bench-adaptive-calls.jsonl';
/** @return list<array<string, mixed>> the call log's rows since the last reset */
$calls = static function () use ($callLog): array {
    $rows = [];
    foreach (file($callLog, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
        $row = json_decode($line, true);
        if (is_array($row)) {
            $rows[] = $row;
        }
    }
    return $rows;
};
$state = static function (): ProviderState {
    $store = (new BackendChoice('native', 'ungated', 300))->backend();
    if (!$store instanceof RecordStore) {
        throw new RuntimeException('the native backend keeps no key records');
    }
    return (new ProviderStates($store))->read(KeyNames::forBlog()->provider('fake', false))->state;
};
$run = static function (string $name, array $phase) use ($callLog): array {
    file_put_contents($callLog, '');
    chmod($callLog, 0666);
    $phase += ['on_reset' => static fn () => update_option('sluice_test_provider_calls', $callLog, true)];
    return BurnIn::run($name, $phase);
};

$which = sluice_test_action_scheduler_which();
printf("bench-adaptive: 3 flows x 20 items, %d ms calls, %d CLI queue runners%s; provider capacity %s, above it: %s; Action Scheduler: %s\n\n",
    $latencyMs, $base['runners'], $base['wp_cron'] ? ' + WP-Cron through PHP-FPM every second' : '', $scheduleText,
    $overCapacity === 'stall' ? 'stall (cURL 28)' : $overCapacity, $which);

$m = [];
foreach (array_intersect(array_keys($configs), $runs) as $name) {
    printf("== %s\n", $name);
    $r = $run($name, $configs[$name] + $base + ['provider_config' => $provider]);
    $s = $name === 'dm' ? null : $state();
    $ideal60 = $ideal($r['makespan']);
    $m[$name] = $r + [
        'goodput_ratio' => $ideal60 > 0 ? $r['processed'] / $ideal60 : 0.0,
        'over_share' => (float) ($r['provider']['over_capacity_share'] ?? 0),
        'state' => $s,
        'rejected' => array_sum(array_map('intval', (array) ($r['provider']['rejected'] ?? []))),
    ];
    printf("   makespan %.1f s, processed %d/%d, failed %d, goodput_ratio %.2f, over_capacity_share %.3f%s\n\n", $r['makespan'], $r['processed'],
        $r['items'], $r['failed'], $m[$name]['goodput_ratio'], $m[$name]['over_share'], $r['timed_out'] !== null ? "  (stopped: {$r['timed_out']})" : '');
}

if ($m !== []) {
    $rows = [
        ['makespan (s)', static fn ($x) => sprintf('%.1f', $x['makespan'])],
        ['ideal AI steps over it', static fn ($x) => sprintf('%.1f', $ideal($x['makespan']))],
        ['goodput_ratio', static fn ($x) => sprintf('%.2f', $x['goodput_ratio'])],
        ['items processed', static fn ($x) => "{$x['processed']}/{$x['items']}"],
        ['jobs failed', static fn ($x) => (string) $x['failed']],
        ['over_capacity_share', static fn ($x) => sprintf('%.3f', $x['over_share'])],
        ['provider max in flight (served)', static fn ($x) => (string) $x['max_in_flight']],
        ['requests refused by provider', static fn ($x) => (string) $x['rejected']],
        ['requests stalled (cURL 28)', static fn ($x) => (string) $x['provider']['stalled']],
        ['AI step failures -> retry', static fn ($x) => (string) $x['ai_request_failures']],
        ['deferrals', static fn ($x) => (string) BurnIn::deferrals($x)],
        ['limit in force at the end', static fn ($x) => $x['state'] === null ? '-' : (string) ($x['state']->limit ?: 'ceiling')],
        ['last signal', static fn ($x) => $x['state']?->signal?->value ?? '-'],
        ['breaker opens', static fn ($x) => $x['state'] === null ? '-' : (string) $x['state']->opens],
    ];
    echo "\n";
    BurnIn::printTable('', $m, $rows, 14);
    echo "\n";
}

$outage = null;
if (in_array('outage', $runs, true)) {
    echo "== outage: Sluice adaptive, capacity 4, connections refused from 15 s to 75 s\n";
    $from = 15_000;
    $until = 75_000;
    $r = $run('outage', $configs['adaptive'] + $base + ['provider_config' => ['capacity_schedule' => '4', 'over_capacity' => $overCapacity,
        'retry_after_s' => 1, 'outages' => [['from_ms' => $from, 'until_ms' => $until]]]]);
    $s = $state();
    $log = $calls();
    $t0 = $r['started_at'];
    $opened = null;
    foreach ($log as $row) {
        if (($row['event'] ?? '') === 'circuit' && $row['what'] === 'circuit_opened') {
            $opened ??= (float) $row['at'];
        }
    }
    $probes = 0;
    foreach ($log as $row) {
        if (($row['event'] ?? '') === 'request' && $opened !== null) {
            $start = (float) ($row['start'] ?? $row['at']);
            $probes += $start > $opened && $start < $t0 + $until / 1000 ? 1 : 0;
        }
    }
    $outage = $r + ['probes' => $probes, 'state' => $s, 'opened_after' => $opened === null ? null : $opened - $t0];
    printf("   makespan %.1f s, processed %d/%d, failed %d, breaker opened %s, probes during the outage %d, cool-downs %d, opens %d\n\n",
        $r['makespan'], $r['processed'], $r['items'], $r['failed'], $opened === null ? 'never' : sprintf('at %.1f s', $opened - $t0), $probes, $s->cooldowns, $s->opens);
}

$storm = [];
if (in_array('storm', $runs, true)) {
    foreach (['off' => false, 'on' => true] as $label => $giveBack) {
        echo "== backoff storm, give-back $label: 503 to flow 3 for 40 s, in-step retry 5 attempts (2 s doubling, jitter)\n";
        $r = $run("storm-$label", $base + [
            'sluice_settings' => ['provider_limits' => ['fake' => 4], 'adaptive_limit' => false, 'breaker_failures' => 0, 'backoff_give_back' => $giveBack],
            'limit' => 4,
            'provider_config' => ['capacity_schedule' => '4', 'over_capacity' => $overCapacity, 'retry_after_s' => 1,
                'fail_rules' => [['header' => 'x-fixture-flow', 'value' => '3', 'status' => 503, 'from_ms' => 0, 'until_ms' => 40_000]]],
            'fixture_knobs' => ['provider_turn_attempts' => 5, 'provider_turn_base_delay' => 2.0, 'provider_turn_max_delay' => 60.0],
        ]);
        $sleeping = 0.0;
        $sleeps = 0.0;
        foreach ($calls() as $row) {
            if (($row['event'] ?? '') === 'retry') {
                $sleeping += (float) $row['delay'] * (int) $row['held_slots'];
                $sleeps += (float) $row['delay'];
            }
        }
        $storm[$label] = $r + ['sleeping_slot_s' => $sleeping, 'sleep_s' => $sleeps];
        printf("   makespan %.1f s, processed %d/%d, failed %d, backoff sleep %.1f s, slot-seconds held while sleeping %.1f (%.0f%% of the %.0f slot-seconds the provider key offered)\n\n",
            $r['makespan'], $r['processed'], $r['items'], $r['failed'], $sleeps, $sleeping, 100 * $sleeping / max(1e-9, 4 * $r['makespan']), 4 * $r['makespan']);
    }
}

echo "Action Scheduler: $which\n";
$f = static fn (?float $x, string $fmt = '%.2f') => $x === null ? '-' : sprintf($fmt, $x);
if ($storm !== []) {
    printf("storm sleeping_slot_seconds_before=%s sleeping_slot_seconds_after=%s makespan_before=%s makespan_after=%s failed_before=%d failed_after=%d\n",
        $f($storm['off']['sleeping_slot_s'] ?? null, '%.1f'), $f($storm['on']['sleeping_slot_s'] ?? null, '%.1f'),
        $f($storm['off']['makespan'] ?? null, '%.1f'), $f($storm['on']['makespan'] ?? null, '%.1f'),
        $storm['off']['failed'] ?? -1, $storm['on']['failed'] ?? -1);
}
if ($outage !== null) {
    printf("outage failed=%d processed=%d/%d probes_during_outage=%d cooldowns=%d breaker_opens=%d\n",
        $outage['failed'], $outage['processed'], $outage['items'], $outage['probes'], $outage['state']->cooldowns, $outage['state']->opens);
}
if (isset($m['adaptive'])) {
    printf("adaptive goodput_ratio=%.2f failed=%d processed=%d/%d over_capacity_share=%.3f fixed1_goodput_ratio=%s fixed8_failed=%s breaker_opens=%d\n",
        $m['adaptive']['goodput_ratio'], $m['adaptive']['failed'], $m['adaptive']['processed'], $m['adaptive']['items'], $m['adaptive']['over_share'],
        isset($m['fixed1']) ? sprintf('%.2f', $m['fixed1']['goodput_ratio']) : '-', isset($m['fixed8']) ? (string) $m['fixed8']['failed'] : '-',
        $m['adaptive']['state']?->opens ?? 0);
}
