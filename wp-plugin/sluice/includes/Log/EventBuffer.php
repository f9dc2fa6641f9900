<?php
/**
 * The event log's rows of one request, written together: each decision about
 * an AI step adds a row here, and they go to {prefix}sluice_events in ONE
 * multi-row INSERT when a row must be readable by another process at once (a
 * deferral: its copy's own deferral reads it; a stranding: the copy reads
 * its place), at the end of a queue run, when 50 wait, and at request end
 * (a shutdown function that never throws); each row goes to the log of the
 * blog it was about. An admitted step's rows cost its
 * runner no query of their own while it runs. Each row keeps the instant it
 * happened (at_ms), so rows written later still read in their order.
 */

declare(strict_types=1);

namespace SluiceWP\Log;

defined('ABSPATH') || exit;

final class EventBuffer
{
    private const FLUSH_AT = 50;
    private const PRUNE_EVERY = 100;

    /** Every column a row may set, with its format; a row leaves the others at their default. */
    private const COLUMNS = [
        'created_at' => '%s', 'at_ms' => '%d', 'event' => '%s', 'action_id' => '%d', 'copy_action_id' => '%d',
        'work_key' => '%s', 'job_id' => '%d', 'flow_step_id' => '%s', 'provider' => '%s', 'reason' => '%s',
        'lease_key' => '%s', 'limit_n' => '%d', 'active_n' => '%d', 'delay_s' => '%d', 'attempt' => '%d',
        'placed_at' => '%s', 'duration_ms' => '%d',
    ];

    /** @var list<array{0: string, 1: array<string, int|string|null>}> each row with its blog's table */
    private array $rows = [];
    private bool $onShutdown = false;

    /**
     * Adds a row (created_at and at_ms are set now unless given); written at the next flush.
     *
     * @param array<string, int|string|null> $row column => value (null: SQL NULL)
     */
    public function add(array $row): void
    {
        $ms = (int) floor(microtime(true) * 1000);
        // The blog's table now: a process that switched blogs (a network's sweep) writes each row to its own blog's log.
        $this->rows[] = [EventLogSchema::table(), $row + ['created_at' => gmdate('Y-m-d H:i:s', intdiv($ms, 1000)), 'at_ms' => $ms]];
        if (!$this->onShutdown) {
            $this->onShutdown = true;
            register_shutdown_function(function (): void {
                $this->flushQuietly();
            });
        }
        if (count($this->rows) >= self::FLUSH_AT) {
            $this->flush();
        }
    }

    /** Rows waiting to be written (tests). */
    public function pending(): int
    {
        return count($this->rows);
    }

    /** Writes every waiting row in one INSERT (one per blog's table); true when there was nothing to write or it was written. */
    public function flush(): bool
    {
        $byTable = [];
        foreach ($this->rows as [$table, $row]) {
            $byTable[$table][] = $row;
        }
        $this->rows = [];
        $written = true;
        foreach ($byTable as $table => $rows) {
            $written = $this->insert($table, $rows) && $written;
        }
        return $written;
    }

    /** @param list<array<string, int|string|null>> $rows */
    private function insert(string $table, array $rows): bool
    {
        global $wpdb;
        $values = [];
        foreach ($rows as $row) {
            $cells = [];
            foreach (self::COLUMNS as $column => $format) {
                $value = $row[$column] ?? self::defaultOf($column);
                $cells[] = $value === null ? 'NULL' : $wpdb->prepare($format, $value);
            }
            $values[] = '(' . implode(', ', $cells) . ')';
        }
        $written = $wpdb->query("INSERT INTO {$table} (" . implode(', ', array_keys(self::COLUMNS)) . ') VALUES ' . implode(', ', $values));
        if ($written === false) {
            error_log(sprintf('Sluice: could not write %d row(s) to the event log %s: %s', count($rows), $table, $wpdb->last_error));
            return false;
        }
        $first = (int) $wpdb->insert_id;
        $last = $first + count($rows) - 1;
        if ($first > 0 && intdiv($last, self::PRUNE_EVERY) > intdiv($first - 1, self::PRUNE_EVERY)) {
            $this->prune($table, $last);
        }
        return true;
    }

    /** Request end: an error is logged, never thrown (a shutdown function that throws fails the whole request's end). */
    public function flushQuietly(): void
    {
        try {
            $this->flush();
        } catch (\Throwable $e) {
            error_log('Sluice: could not write the event log at request end: ' . $e->getMessage());
        }
    }

    private static function defaultOf(string $column): int|string|null
    {
        return match ($column) {
            'job_id', 'flow_step_id', 'placed_at' => null,
            'created_at', 'event', 'work_key', 'provider', 'reason', 'lease_key' => '',
            default => 0,
        };
    }

    /** Keeps the newest rows (filter sluice_event_log_max_rows, default 10,000). */
    private function prune(string $table, int $newestId): void
    {
        global $wpdb;
        $keep = max(100, (int) apply_filters('sluice_event_log_max_rows', 10000));
        $wpdb->query($wpdb->prepare("DELETE FROM {$table} WHERE id <= %d", $newestId - $keep));
    }
}
