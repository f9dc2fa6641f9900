<?php
/**
 * What the Action Scheduler conformance suites share: each test starts from an empty queue with Action Scheduler's own
 * batch sizes and records every Action Scheduler hook it fires (listen(), events); in-process queue runs use a
 * fresh ActionScheduler_QueueRunner (its 30 s budget counts from its creation, as a new runner process's
 * would); runProcesses() starts bin/queue-runner.php processes that claim at the same instant.
 */

declare(strict_types=1);

namespace Sluice\WpTests\Conformance;

use ActionScheduler;
use ActionScheduler_QueueRunner;
use PHPUnit\Framework\TestCase;
use Sluice\Support\Process;

abstract class ConformanceTestCase extends TestCase
{
    protected const HOOK = 'sluice_conformance_job';
    protected const GROUP = 'sluice-conformance';
    /** Priority of the suite's own knob filters: after whatever the test site sets. */
    protected const LAST = PHP_INT_MAX;

    /** @var list<array{0: string, 1: mixed}> [event, action id or payload] in the order they happened */
    protected array $events = [];

    /** @var list<array{0: string, 1: callable, 2: int}> listeners to remove after the test */
    protected array $listeners = [];

    /** @var list<list<mixed>> positional args each run of HOOK received */
    protected array $calls = [];

    /** @var list<string> temporary files */
    protected array $files = [];

    protected function setUp(): void
    {
        global $wpdb;
        foreach (['actionscheduler_actions', 'actionscheduler_logs', 'actionscheduler_claims'] as $table) {
            $wpdb->query("TRUNCATE TABLE {$wpdb->prefix}{$table}");
        }
        // Action Scheduler's own batch sizes: other suites tune the queue through the Data Machine
        // fixture's settings (one action a claim), and several tests here need two actions in one claim.
        delete_option('datamachine_settings');
        foreach (['before_execute' => 2, 'execution_ignored' => 2, 'begin_execute' => 2, 'after_execute' => 3,
                  'failed_execution' => 3, 'failed_validation' => 3, 'canceled_action' => 1, 'failed_action' => 2,
                  'unexpected_shutdown' => 2, 'completed_action' => 1, 'reset_action' => 1] as $event => $accepted) {
            $this->listen("action_scheduler_{$event}", function (...$args) use ($event): void {
                $this->events[] = [$event, $args];
            }, 1, $accepted);
        }
        $this->listen(self::HOOK, function (...$args): void {
            $this->calls[] = $args;
            $this->events[] = ['callback', $args];
        }, 10, 10);
    }

    protected function tearDown(): void
    {
        foreach ($this->listeners as [$hook, $callback, $priority]) {
            remove_filter($hook, $callback, $priority);
        }
        foreach ($this->files as $file) {
            @unlink($file);
        }
    }

    /** True while Action Scheduler serves through its hybrid store (its migration is not complete). */
    protected static function hybrid(): bool
    {
        return ActionScheduler::store() instanceof \ActionScheduler_HybridStore;
    }

    protected function listen(string $hook, callable $callback, int $priority = 10, int $accepted = 1): void
    {
        add_filter($hook, $callback, $priority, $accepted);
        $this->listeners[] = [$hook, $callback, $priority];
    }

    protected function schedule(array $args, ?int $when = null, int $priority = 10): int
    {
        $id = (int) as_schedule_single_action($when ?? time() - 1, self::HOOK, $args, self::GROUP, false, $priority);
        self::assertGreaterThan(0, $id);
        return $id;
    }

    /** One in-process queue run, with a fresh runner (see the class comment). */
    protected function runQueue(): int
    {
        return (new ActionScheduler_QueueRunner())->run('WP CLI');
    }

    /** @return array<string, string|null> */
    protected function row(int $id): array
    {
        global $wpdb;
        return (array) $wpdb->get_row($wpdb->prepare("SELECT * FROM {$wpdb->prefix}actionscheduler_actions WHERE action_id = %d", $id), ARRAY_A);
    }

    /** @return list<string> log messages, oldest first */
    protected function logs(int $id): array
    {
        global $wpdb;
        return $wpdb->get_col($wpdb->prepare("SELECT message FROM {$wpdb->prefix}actionscheduler_logs WHERE action_id = %d ORDER BY log_id", $id));
    }

    protected function countRows(): int
    {
        global $wpdb;
        return (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}actionscheduler_actions");
    }

    /** @return array<string, int> status => count for one hook */
    protected function statusCounts(string $hook = self::HOOK): array
    {
        global $wpdb;
        $out = [];
        foreach ($wpdb->get_results($wpdb->prepare("SELECT status, COUNT(*) AS n FROM {$wpdb->prefix}actionscheduler_actions WHERE hook = %s GROUP BY status ORDER BY status", $hook)) as $row) {
            $out[$row->status] = (int) $row->n;
        }
        return $out;
    }

    /** @return list<int> pending ids of HOOK */
    protected function pendingIds(): array
    {
        global $wpdb;
        return array_map('intval', $wpdb->get_col($wpdb->prepare("SELECT action_id FROM {$wpdb->prefix}actionscheduler_actions WHERE hook = %s AND status = 'pending' ORDER BY action_id", self::HOOK)));
    }

    /** The events about one action, by name; the callback counts as the current action's. */
    protected function eventNames(int $id): array
    {
        $names = [];
        $current = null;
        foreach ($this->events as [$event, $args]) {
            if ($event === 'callback') {
                if ($current === $id) {
                    $names[] = 'callback';
                }
                continue;
            }
            if ($event === 'before_execute') {
                $current = (int) $args[0];
            }
            if ((int) $args[0] === $id) {
                $names[] = $event;
            }
        }
        return $names;
    }

    /** @return list<list<mixed>> the args of each $event (for one id when given) */
    protected function eventsNamed(string $event, ?int $id = null): array
    {
        $out = [];
        foreach ($this->events as [$name, $args]) {
            if ($name === $event && ($id === null || (int) $args[0] === $id)) {
                $out[] = $args;
            }
        }
        return $out;
    }

    /** @return list<mixed> the args of the one $event for $id */
    protected function eventArgs(string $event, int $id): array
    {
        $found = $this->eventsNamed($event, $id);
        self::assertCount(1, $found, "one {$event} for action {$id}");
        return $found[0];
    }

    protected function sortedByKey(array $counts): array
    {
        ksort($counts, SORT_NATURAL);
        return $counts;
    }

    /**
     * Runs $count bin/queue-runner.php processes at once (they wait on a barrier so they claim together).
     *
     * @param array<string, string> $env
     * @return list<array{0: int, 1: string, 2: list<array{0: string, 1: string, 2: string}>}> exit code, output, events
     */
    protected function runProcesses(int $count, array $env = []): array
    {
        $barrier = $this->tempFile('barrier');
        @unlink($barrier);
        $procs = [];
        for ($i = 0; $i < $count; $i++) {
            $events = $this->tempFile('events');
            $output = $this->tempFile('output');
            $vars = $env + ['SLUICE_CONFORMANCE_EVENTS' => $events, 'SLUICE_CONFORMANCE_BARRIER' => $barrier];
            $command = 'exec ' . escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg(__DIR__ . '/bin/queue-runner.php') . ' ' . escapeshellarg('WP CLI');
            $procs[] = [Process::logged($command, $output, $vars), $output, $events];
        }
        $deadline = microtime(true) + 60;
        while (count(glob($barrier . '.ready.*')) < $count && microtime(true) < $deadline) {
            usleep(10000);
        }
        foreach (glob($barrier . '.ready.*') as $ready) {
            $this->files[] = $ready;
        }
        touch($barrier);

        $results = [];
        foreach ($procs as [$process, $output, $events]) {
            $ended = $process->wait(max(1.0, $deadline + 60 - microtime(true)));
            $code = $ended->signal !== null ? 128 + $ended->signal : $ended->exitCode;
            $lines = array_filter(explode("\n", (string) file_get_contents($events)));
            $results[] = [$code, (string) file_get_contents($output), array_map(static fn ($line) => explode(' ', $line, 3), array_values($lines))];
        }
        foreach (glob($barrier . '.working.*') as $working) {
            $this->files[] = $working; // SLUICE_CONFORMANCE_MEET's
        }
        foreach ($results as [, $output]) {
            self::assertStringContainsString('Action Scheduler: ' . \sluice_test_action_scheduler_which(), $output, 'the runner loaded the same Action Scheduler');
        }
        return $results;
    }

    /** The events about one action in a runner's log; "ran <n>" lines count by the callback's tag. */
    protected function processEvents(array $events, string $id, string $tag): array
    {
        return array_values(array_filter($events, static fn ($e) => ($e[1] === 'ran' && $e[2] === $tag) || ($e[1] !== 'ran' && $e[2] === $id)));
    }

    protected function tempFile(string $what): string
    {
        $file = tempnam(sys_get_temp_dir(), "sluice-conformance-{$what}-");
        $this->files[] = $file;
        return $file;
    }
}
