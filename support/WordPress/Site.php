<?php
declare(strict_types=1);

namespace Sluice\Support\WordPress;

/**
 * The test bed's site (tools/wp-stack): a clean slate between tests and runs,
 * Sluice's and the fixture's settings, and what the fixture pipeline did.
 */
final class Site
{
    /** Where the debug log ended when the current test began. */
    private static int $debugLogOffset = 0;

    public static function url(): string
    {
        return rtrim((string) getenv('SLUICE_STACK_URL'), '/');
    }

    /** The file that loads the site's WordPress (require it at global scope, e.g. in a Runner::php() child). */
    public static function loader(): string
    {
        return __DIR__ . '/load.php';
    }

    /** What runs: "WordPress 6.1.9, Action Scheduler: stand-in (...), store state migrated, extension sluice 0.1.0". */
    public static function describe(): string
    {
        return 'WordPress ' . get_bloginfo('version') . ', Action Scheduler: '
            . (function_exists('sluice_test_action_scheduler_which') ? sluice_test_action_scheduler_which() : 'not loaded')
            . ', store state ' . ActionSchedulerState::describe()
            . ', extension sluice ' . (phpversion('sluice') ?: 'not loaded');
    }

    /**
     * Empties the queue, the fixture's jobs and logs, Sluice's event log, every key of the segment and every
     * provider state (the segment's key records, the database backend's).
     */
    public static function reset(): void
    {
        global $wpdb;
        clearstatcache();
        self::$debugLogOffset = (int) @filesize(self::debugLog());
        foreach (['actionscheduler_actions', 'actionscheduler_logs', 'actionscheduler_claims', 'datamachine_jobs',
                  'datamachine_processed_items', 'datamachine_logs', 'sluice_events'] as $table) {
            $wpdb->query("TRUNCATE TABLE {$wpdb->prefix}{$table}");
        }
        $wpdb->query("DELETE FROM {$wpdb->options} WHERE option_name LIKE 'datamachine\\_pipeline\\_ai\\_lease\\_%'");
        foreach (['sluice_settings', 'datamachine_settings', 'datamachine_fixture_knobs', 'sluice_test_knobs',
                  'sluice_test_decisions', 'sluice_test_releases', 'sluice_test_ai_task_runs', 'sluice_test_provider_calls',
                  'sluice_store', 'sluice_process_stores', 'sluice_ungated'] as $option) {
            delete_option($option);
        }
        wp_cache_flush();
        ActionSchedulerState::keep();
        // The segment outlives the tables: empty its waiting line and its keys too.
        foreach (\Sluice\line() as $queue) {
            foreach ($queue['tickets'] as $ticket) {
                \Sluice\ticket_cancel((string) $queue['scope'], (string) $ticket['ticket']);
            }
        }
        foreach (array_keys(\Sluice\status()) as $key) {
            \Sluice\reset((string) $key);
            // A provider's adaptive limit and circuit breaker live in its key's record: back to none, uncapped.
            $record = \Sluice\key_record((string) $key);
            if ($record['version'] > 0 && ($record['data'] !== '' || $record['cap'] !== 0)) {
                \Sluice\key_record_cas((string) $key, $record['version'], '', 0);
            }
        }
        $wpdb->query("DELETE FROM {$wpdb->base_prefix}sluice_key_records");
        $scope = \SluiceWP\Gate\KeyNames::siteNamespace();
        \Sluice\take_wakes($scope, 4096);
        foreach (\Sluice\take_stranded($scope, 4096) as $stranded) {
            \Sluice\ack_stranded($scope, (string) $stranded['id']);
        }
        self::configure(['default_provider' => 'fake'], []);
    }

    /**
     * Data Machine's settings (option datamachine_settings) and the fixture's
     * knobs (request_timeout, retry_base_delay, max_attempts).
     *
     * @param array<string, mixed> $dataMachine
     * @param array<string, mixed> $knobs
     */
    public static function configure(array $dataMachine, array $knobs, ?array $sluice = null): void
    {
        // Runners in parallel, one action a claim, as a site tuned for several runners.
        $tuning = ['queue_tuning' => ['concurrent_batches' => 10, 'batch_size' => 1]];
        update_option('datamachine_settings', $dataMachine + ['default_provider' => 'fake'] + $tuning);
        update_option('datamachine_fixture_knobs', $knobs);
        if ($sluice !== null) {
            update_option('sluice_settings', $sluice);
        }
    }

    /** @return array<string, int> job status => count */
    public static function jobStatuses(): array
    {
        global $wpdb;
        return self::countsByStatus("SELECT status, COUNT(*) AS n FROM {$wpdb->prefix}datamachine_jobs GROUP BY status");
    }

    /**
     * @param string $sql a query selecting `status` and a count `n`
     * @return array<string, int> status => count
     */
    private static function countsByStatus(string $sql): array
    {
        global $wpdb;
        $out = [];
        foreach ($wpdb->get_results($sql, ARRAY_A) as $row) {
            $out[(string) $row['status']] = (int) $row['n'];
        }
        return $out;
    }

    public static function unfinishedJobs(): int
    {
        global $wpdb;
        return (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}datamachine_jobs WHERE status NOT IN ('completed') AND status NOT LIKE 'failed%'");
    }

    public static function processedItems(): int
    {
        global $wpdb;
        return (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}datamachine_processed_items WHERE status = 'processed'");
    }

    /** @return array<string, int> Action Scheduler status => count, for one hook */
    public static function actionStatuses(string $hook): array
    {
        global $wpdb;
        return self::countsByStatus($wpdb->prepare(
            "SELECT status, COUNT(*) AS n FROM {$wpdb->prefix}actionscheduler_actions WHERE hook = %s GROUP BY status",
            $hook,
        ));
    }

    /**
     * The AI steps' actions in Action Scheduler, oldest first.
     *
     * @return list<array<string, mixed>>
     */
    public static function aiActions(): array
    {
        global $wpdb;
        return $wpdb->get_results(
            "SELECT * FROM {$wpdb->prefix}actionscheduler_actions WHERE hook = 'datamachine_execute_step' AND args LIKE '%-ai\\\\_%' ORDER BY action_id",
            ARRAY_A,
        );
    }

    /** @return list<array<string, mixed>> rows an option-recording test hook wrote (sluice_test_decisions, ...) */
    public static function recorded(string $option): array
    {
        wp_cache_delete($option, 'options');
        wp_cache_delete('alloptions', 'options');
        $rows = get_option($option, []);
        return is_array($rows) ? array_values($rows) : [];
    }

    /**
     * The AI steps that ran, in the order they started: job, flow, when the AI
     * work started and finished (microtime) and the pid of the process that
     * ran it, as the fixture records them.
     *
     * @return list<array{job: int, flow: string, started: float, finished: float, pid: int}>
     */
    public static function aiRuns(): array
    {
        global $wpdb;
        $runs = [];
        foreach ($wpdb->get_results("SELECT job_id, flow_id, engine_data FROM {$wpdb->prefix}datamachine_jobs", ARRAY_A) as $row) {
            $engine = json_decode((string) $row['engine_data'], true);
            foreach ($engine['step_results'] ?? [] as $result) {
                if (isset($result['started_at'])) {
                    $runs[] = ['job' => (int) $row['job_id'], 'flow' => (string) $row['flow_id'],
                        'started' => (float) $result['started_at'], 'finished' => (float) $result['finished_at'],
                        'pid' => (int) ($result['pid'] ?? 0)];
                }
            }
        }
        usort($runs, static fn (array $a, array $b): int => $a['started'] <=> $b['started']);
        return $runs;
    }

    /**
     * The gaps between one AI step's end and the next one's start (at limit 1:
     * each is a hand-off of the slot), in seconds.
     *
     * @return list<float>
     */
    public static function handoffGaps(): array
    {
        $runs = self::aiRuns();
        $gaps = [];
        for ($i = 1; $i < count($runs); $i++) {
            $gaps[] = $runs[$i]['started'] - $runs[$i - 1]['finished'];
        }
        return $gaps;
    }

    /** @return list<array<string, mixed>> Sluice's deferral events, oldest first */
    public static function deferrals(): array
    {
        global $wpdb;
        return $wpdb->get_results("SELECT * FROM {$wpdb->prefix}sluice_events WHERE event = 'deferred' ORDER BY id", ARRAY_A);
    }

    private static function debugLog(): string
    {
        return (string) getenv('SLUICE_WP_DIR') . '/debug.log';
    }

    /** Lines of the site's debug log, since the test began, that come from Sluice's own code. */
    public static function sluiceErrors(): string
    {
        $log = (string) @file_get_contents(self::debugLog(), false, null, self::$debugLogOffset);
        $ours = array_filter(explode("\n", $log), static fn (string $line): bool => str_contains($line, 'wp-plugin/sluice') || str_contains($line, 'Sluice:'));
        return implode("\n", $ours);
    }
}
