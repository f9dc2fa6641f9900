<?php
declare(strict_types=1);

namespace Sluice\WpTests\Runners;

use RuntimeException;
use Sluice\WpTests\Admin\AdminHttp;
use Sluice\WpTests\Cli\WpCli;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

/**
 * The queue runners a site may have, each as production starts it, kept
 * going until the work is done:
 *   wp-cli  `wp action-scheduler run` (the real `wp` binary) started again
 *           half a second after each pass ends, as system cron jobs or a
 *           supervisor loop run it where DISABLE_WP_CRON is set
 *   wp-cron wp-cron.php through PHP-FPM every second, as a system cron
 *           calling it (Runner::wpCron)
 *   admin   only an administrator browsing wp-admin (a page a second):
 *           WordPress spawns WP-Cron from those requests and Action
 *           Scheduler sends its async request runner at their shutdown
 */
final class RunnerKinds
{
    /** One `wp action-scheduler run` pass. */
    public static function wpCliPass(): Runner
    {
        $command = [WpCli::binary(), '--path=' . getenv('SLUICE_WP_DIR'), '--allow-root', 'action-scheduler', 'run'];
        return Runner::shell('exec ' . implode(' ', array_map('escapeshellarg', $command)));
    }

    /**
     * Keeps $kind's runners going until $done returns true; returns the
     * seconds it took. Throws on timeout or a WP-CLI pass that failed.
     *
     * @param 'wp-cli'|'wp-cron'|'admin' $kind
     */
    public static function until(string $kind, callable $done, float $timeoutSeconds, int $count = 2): float
    {
        $start = microtime(true);
        $admin = $kind === 'admin' ? AdminHttp::admin() : null;
        /** @var list<Runner> $running */
        $running = [];
        /** @var array<int, float> $nextStart slot => when its next pass starts */
        $nextStart = array_fill(0, $count, $start);
        $nextTick = $start;
        try {
            while (!$done()) {
                $now = microtime(true);
                if ($now - $start > $timeoutSeconds) {
                    throw new RuntimeException(sprintf('%s runners: work not done within %.0f s', $kind, $timeoutSeconds));
                }
                if ($kind === 'wp-cli') {
                    for ($slot = 0; $slot < $count; $slot++) {
                        $pass = $running[$slot] ?? null;
                        if ($pass !== null && !$pass->running()) {
                            if ($pass->wait() !== 0) {
                                throw new RuntimeException('a `wp action-scheduler run` pass failed: ' . $pass->output());
                            }
                            unset($running[$slot]);
                            $nextStart[$slot] = $now + 0.5;
                        }
                        if (!isset($running[$slot]) && $now >= $nextStart[$slot]) {
                            $running[$slot] = self::wpCliPass();
                        }
                    }
                } elseif ($now >= $nextTick) {
                    $nextTick = $now + 1.0;
                    if ($kind === 'wp-cron') {
                        $running[] = Runner::wpCron();
                    } else {
                        $page = $admin?->get('/wp-admin/index.php');
                        if (($page['status'] ?? 0) !== 200) {
                            throw new RuntimeException('the administrator\'s page answered HTTP ' . ($page['status'] ?? 0));
                        }
                    }
                    foreach ($running as $i => $request) {
                        if (!$request->running()) {
                            unset($running[$i]);
                        }
                    }
                }
                usleep(50000);
            }
            return microtime(true) - $start;
        } finally {
            foreach ($running as $runner) {
                $runner->wait(60.0);
            }
        }
    }

    /**
     * At a test's end, the queue runs PHP-FPM is still doing end, so none takes the next test's actions with
     * this test's settings: nothing stays claimed and pending, and what is in progress (a killed holder's
     * action stays so) does not change for a second. An async request runner still in its chain also sleeps
     * 5 s and goes on while actions are due, so it is let find none and end (8 s: its own run comes first).
     */
    public static function settle(string $kind): void
    {
        global $wpdb;
        $busy = static fn (): string => implode(',', $wpdb->get_col("SELECT CONCAT(action_id, status) FROM {$wpdb->prefix}actionscheduler_actions WHERE status = 'in-progress' OR (status = 'pending' AND claim_id <> 0) ORDER BY action_id"));
        $deadline = microtime(true) + 30;
        $last = $busy();
        $since = microtime(true);
        while (microtime(true) < $deadline && (str_contains($last, 'pending') || microtime(true) - $since < 1.0)) {
            usleep(100000);
            $now = $busy();
            if ($now !== $last) {
                [$last, $since] = [$now, microtime(true)];
            }
        }
        if ($kind === 'admin') {
            sleep(8);
        }
    }

    /** @param list<float> $values */
    public static function percentile(array $values, float $p): float
    {
        sort($values);
        return (float) $values[min(count($values) - 1, (int) floor($p * count($values)))];
    }
}
