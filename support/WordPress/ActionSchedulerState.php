<?php
declare(strict_types=1);

namespace Sluice\Support\WordPress;

use RuntimeException;

/**
 * Which of Action Scheduler's two steady states the plugin's suites run in,
 * from SLUICE_ACTION_SCHEDULER_STATE:
 *   migrated (default)  its post-store migration is complete: every process serves through ActionScheduler_DBStore
 *   hybrid              it is not: every process serves through ActionScheduler_HybridStore, as on a fresh site
 *                       until the migration action has run, and after any plugin is deactivated
 * Each state is reached the way a site reaches it, through Action Scheduler itself: action-scheduler-state.php
 * runs the migration action (migrated) or deactivates a plugin (hybrid) before PHPUnit loads WordPress, and
 * keep() holds the state between tests (a test that deactivates a plugin, or a runner that reaches the
 * migration action a minute into a hybrid run, would otherwise change it for the tests after it).
 */
final class ActionSchedulerState
{
    public const ENV = 'SLUICE_ACTION_SCHEDULER_STATE';

    public static function wanted(): string
    {
        $state = getenv(self::ENV) ?: 'migrated';
        if (!in_array($state, ['migrated', 'hybrid'], true)) {
            throw new RuntimeException(self::ENV . "=$state: expected migrated or hybrid");
        }
        return $state;
    }

    /** Sets the wanted state in a process of its own, before this one loads WordPress (a store is chosen once per process). */
    public static function establish(): void
    {
        $command = escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg(__DIR__ . '/action-scheduler-state.php') . ' ' . escapeshellarg(self::wanted()) . ' 2>&1';
        exec($command, $output, $exitCode);
        if ($exitCode !== 0) {
            throw new RuntimeException("could not put Action Scheduler in the state '" . self::wanted() . "':\n" . implode("\n", $output));
        }
    }

    /** Between tests: puts the option back as Action Scheduler's own DataController functions write it. */
    public static function keep(): void
    {
        $complete = \ActionScheduler_DataController::is_migration_complete();
        if (self::wanted() === 'hybrid' && $complete) {
            \ActionScheduler_DataController::mark_migration_incomplete();
        } elseif (self::wanted() === 'migrated' && !$complete) {
            \ActionScheduler_DataController::mark_migration_complete();
        }
    }

    /** The store this process serves through, for the run's header line. */
    public static function describe(): string
    {
        $store = class_exists(\ActionScheduler::class, false) ? get_class(\ActionScheduler::store()) : 'none';
        return self::wanted() . " ($store)";
    }
}
