<?php
declare(strict_types=1);

namespace Sluice\Support\WordPress;

use RuntimeException;
use Sluice\Support\PhpCode;
use Sluice\Support\Process;

/**
 * A process of its own on the test bed: a queue runner (a CLI process
 * running WP-Cron's queue run, run-queue.php beside this file, in the context
 * "WP CLI" and with the same php.ini as the PHP-FPM workers; or a WP-Cron run
 * through PHP-FPM), a piece of PHP code (php()) or any command (shell()). A logged
 * Process underneath: its output goes to a file that expectLine() and
 * output() read while it runs.
 */
final class Runner
{
    private Process $process;

    private function __construct(string $command)
    {
        $this->process = Process::logged($command);
    }

    /** Any shell command line (e.g. a daemon in the foreground a test starts and stops). */
    public static function shell(string $command): self
    {
        return new self($command);
    }

    /**
     * `php -r $code` with the stack's php.ini (so the extension and its
     * segment are the workers'). Each entry of $vars becomes a variable of
     * the code ($vars['key'] => $key), so tests never splice values into code.
     *
     * @param array<string, mixed> $vars
     */
    public static function php(string $code, array $vars = []): self
    {
        return new self('exec ' . escapeshellarg(PHP_BINARY) . ' -r ' . escapeshellarg(PhpCode::withVariables($code, $vars)));
    }

    /** Waits until the output has the line $line (the process announces a state). */
    public function expectLine(string $line, float $timeoutSeconds = 30.0): void
    {
        $deadline = microtime(true) + $timeoutSeconds;
        while (!in_array($line, explode("\n", $this->output()), true)) {
            if ((!$this->running() || microtime(true) > $deadline) && !in_array($line, explode("\n", $this->output()), true)) {
                throw new RuntimeException("expected the line '$line' from the process; it printed:\n" . $this->output());
            }
            usleep(10000);
        }
    }

    /** One CLI queue run (Action Scheduler's batch loop until nothing is due). */
    public static function cli(string $context = 'WP CLI'): self
    {
        return new self('exec ' . escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg(self::queueScript()) . ' ' . escapeshellarg($context));
    }

    /**
     * One CLI queue run in a PHP without the extension (the system's php.ini,
     * not the test bed's): a host, or a CLI, where it is not installed.
     */
    public static function cliWithoutExtension(): self
    {
        return new self('exec env -u PHPRC -u PHP_INI_SCAN_DIR ' . escapeshellarg(PHP_BINARY) . ' -r '
            . escapeshellarg('extension_loaded("sluice") && exit("the extension is loaded\n"); $argv = ["run-queue.php", "WP CLI"]; require '
                . var_export(self::queueScript(), true) . ';'));
    }

    /** The script of a CLI queue run: `php run-queue.php [context]` (its context defaults to "WP CLI"). */
    public static function queueScript(): string
    {
        return __DIR__ . '/run-queue.php';
    }

    /**
     * One WP-Cron run through PHP-FPM, as a system cron calling wp-cron.php:
     * Action Scheduler's queue-run event is made due first. wp-cron.php answers
     * before it runs the events (fastcgi_finish_request), so wait() returns
     * early: wait for the work itself. $base: another way to the site (a
     * pool of FpmPools), else the test bed's nginx.
     */
    public static function wpCron(?string $base = null): self
    {
        $hook = 'action_scheduler_run_queue';
        // This process's option cache is stale: FPM's wp-cron.php rewrites the cron array and deletes the
        // doing_cron transient when it finishes (an update_option() of a row that is gone would write nothing).
        foreach (['alloptions', 'notoptions', 'cron', '_transient_doing_cron'] as $option) {
            wp_cache_delete($option, 'options');
        }
        wp_clear_scheduled_hook($hook, ['WP Cron']);
        wp_schedule_single_event(time() - 1, $hook, ['WP Cron']);
        // wp-cron.php runs only when ?doing_wp_cron equals the doing_cron transient: take the lock as spawn_cron() does.
        $lock = sprintf('%.22F', microtime(true));
        set_transient('doing_cron', $lock);
        return new self('exec curl -s -o /dev/null -w "%{http_code}" --max-time 120 ' . escapeshellarg(($base ?? Site::url()) . '/wp-cron.php?doing_wp_cron=' . $lock));
    }

    public function pid(): int
    {
        return $this->process->pid;
    }

    public function running(): bool
    {
        return $this->process->running();
    }

    /** Waits for the process; returns its exit code (128 + signal when killed). */
    public function wait(float $timeoutSeconds = 120.0): int
    {
        $deadline = microtime(true) + $timeoutSeconds;
        while ($this->running()) {
            if (microtime(true) > $deadline) {
                $this->kill();
                throw new RuntimeException("a queue runner ran past {$timeoutSeconds}s:\n" . $this->output());
            }
            usleep(20000);
        }
        $result = $this->process->wait();
        return $result->signal !== null ? 128 + $result->signal : $result->exitCode;
    }

    /** Signals it and waits for its end; one that ignores the signal 10 s is SIGKILLed. */
    public function kill(int $signal = 9): void
    {
        $this->process->kill($signal);
        $deadline = microtime(true) + 10;
        while ($this->running()) {
            if ($signal !== 9 && microtime(true) > $deadline) {
                $this->process->kill(9);
                $signal = 9;
            }
            usleep(5000);
        }
        $this->process->wait();
    }

    public function output(): string
    {
        return $this->process->output();
    }

    /**
     * Keeps $count CLI runners going (a finished one is replaced, as cron
     * ticks would) until $done returns true or $timeoutSeconds pass; with
     * $wpCron, a WP-Cron run through PHP-FPM joins them every second, as a
     * site's system cron would. Returns the seconds it took; throws on
     * timeout or on a runner that exited non-zero.
     */
    public static function until(callable $done, int $count = 3, float $timeoutSeconds = 120.0, string $context = 'WP CLI', bool $wpCron = false): float
    {
        $start = microtime(true);
        $nextCron = $start;
        /** @var list<self> $runners */
        $runners = [];
        try {
            while (!$done()) {
                if (microtime(true) - $start > $timeoutSeconds) {
                    throw new RuntimeException("work not done within {$timeoutSeconds}s");
                }
                foreach ($runners as $i => $runner) {
                    if (!$runner->running()) {
                        if ($runner->wait() !== 0) {
                            throw new RuntimeException('a queue runner failed: ' . $runner->output());
                        }
                        unset($runners[$i]);
                    }
                }
                while (count($runners) < $count) {
                    $runners[] = self::cli($context);
                }
                if ($wpCron && microtime(true) >= $nextCron) {
                    $runners[] = self::wpCron();
                    $nextCron = microtime(true) + 1.0;
                }
                usleep(100000);
            }
            return microtime(true) - $start;
        } finally {
            foreach ($runners as $runner) {
                $runner->wait(60.0);
            }
        }
    }
}
