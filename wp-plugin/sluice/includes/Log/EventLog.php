<?php
/**
 * Sluice's event log: one row per deferral (reason ai_concurrency_limit or
 * provider_circuit_open), per action whose runner died holding a slot
 * ("stranded"), and per change of a provider's circuit breaker
 * (circuit_opened, circuit_reopened after a failed probe, circuit_closed), in {prefix}sluice_events, newest kept (filter
 * sluice_event_log_max_rows, default 10,000; older rows are pruned as new ones
 * arrive). Each deferral is also announced on the action
 * `sluice_action_deferred` (context array, event), which Data Machine's
 * adapter turns into a row of Data Machine's own log; each stranded action on
 * `sluice_action_stranded` (action id, id of the copy that runs again or 0, label).
 */

declare(strict_types=1);

namespace SluiceWP\Log;

use SluiceWP\Backend\StrandedLease;
use SluiceWP\Gate\HolderLabel;
use SluiceWP\Gate\ScheduledAction;
use SluiceWP\Gate\ThrottleEvent;
use SluiceWP\Gate\ThrottleLog;
use SluiceWP\Provider\ProviderEvents;
use SluiceWP\Provider\ProviderState;
use SluiceWP\Gate\WorkHistory;

defined('ABSPATH') || exit;

final class EventLog implements ThrottleLog, ProviderEvents
{
    private const PRUNE_EVERY = 100;

    public function deferred(ThrottleEvent $event): void
    {
        global $wpdb;
        $work = $event->work;
        $wpdb->insert(EventLogSchema::table(), [
            'created_at' => gmdate('Y-m-d H:i:s'),
            'event' => 'deferred',
            'action_id' => $work->action->id,
            'copy_action_id' => $event->copyId,
            'work_key' => $work->action->workKey(),
            'job_id' => $work->jobId,
            'flow_step_id' => $work->flowStepId,
            'provider' => substr($work->provider, 0, 64),
            'reason' => substr($event->reason, 0, 64),
            'lease_key' => substr($event->key, 0, 64),
            'limit_n' => $event->limit,
            'active_n' => $event->active,
            'delay_s' => $event->rescheduledForSeconds,
            'attempt' => $event->attempt,
        ], ['%s', '%s', '%d', '%d', '%s', '%d', '%s', '%s', '%s', '%s', '%d', '%d', '%d', '%d']);
        $id = (int) $wpdb->insert_id;
        if ($id === 0) {
            error_log('Sluice: could not write a deferral to the event log: ' . $wpdb->last_error);
        }
        if ($id > 0 && $id % self::PRUNE_EVERY === 0) {
            $this->prune($id);
        }
        do_action('sluice_action_deferred', $event->context(), $event);
    }

    public function stranded(StrandedLease $lease, ?ScheduledAction $action, int $copyId, ?int $placedSince = null): void
    {
        global $wpdb;
        $label = HolderLabel::parse($lease->label);
        $jobId = $label->jobId;
        $step = $label->step;
        $wpdb->insert(EventLogSchema::table(), [
            'created_at' => gmdate('Y-m-d H:i:s'),
            'event' => 'stranded',
            'action_id' => $lease->ref,
            'copy_action_id' => $copyId,
            'work_key' => $action?->workKey() ?? '',
            'job_id' => $jobId,
            'flow_step_id' => $step,
            'reason' => $copyId > 0 ? 'runner_died_requeued' : 'runner_died',
            'placed_at' => $placedSince !== null ? gmdate('Y-m-d H:i:s', $placedSince) : null,
        ], ['%s', '%s', '%d', '%d', '%s', '%d', '%s', '%s', '%s']);
        do_action('sluice_action_stranded', $lease->ref, $copyId, $lease->label);
    }

    public function circuitChanged(string $event, string $provider, string $key, ProviderState $state): void
    {
        global $wpdb;
        $wpdb->insert(EventLogSchema::table(), [
            'created_at' => gmdate('Y-m-d H:i:s'),
            'event' => $event,
            'provider' => substr($provider, 0, 64),
            'reason' => $event === 'circuit_closed' ? 'probe_answered' : (string) ($state->circuitReason->value ?? ''),
            'lease_key' => substr($key, 0, 64),
            'limit_n' => $state->isOpen() ? 0 : $state->limit,
            'delay_s' => $state->isOpen() ? intdiv($state->cooldownMs, 1000) : 0,
            'attempt' => $state->cooldowns,
        ], ['%s', '%s', '%s', '%s', '%s', '%d', '%d', '%d']);
    }

    public function historyOf(string $workKey): WorkHistory
    {
        global $wpdb;
        $table = EventLogSchema::table();
        // One query: the count, the first deferral, the place a stranded run keeps, the last delay.
        $row = $wpdb->get_row($wpdb->prepare(
            "SELECT COALESCE(SUM(event = 'deferred'), 0) AS deferrals, MIN(CASE WHEN event = 'deferred' THEN created_at END) AS first_deferred,"
            . " MIN(placed_at) AS placed, (SELECT delay_s FROM {$table} WHERE work_key = %s AND event = 'deferred' ORDER BY id DESC LIMIT 1) AS last_delay"
            . " FROM {$table} WHERE work_key = %s AND event IN ('deferred', 'stranded')",
            $workKey,
            $workKey,
        ), ARRAY_A);
        $row = is_array($row) ? $row : [];
        return new WorkHistory(
            (int) ($row['deferrals'] ?? 0),
            (int) ($row['last_delay'] ?? 0),
            self::unixTime($row['placed'] ?? null),
            self::unixTime($row['first_deferred'] ?? null),
        );
    }

    /** A UTC datetime column as unix seconds (null for NULL). */
    private static function unixTime(mixed $datetime): ?int
    {
        $time = is_string($datetime) && $datetime !== '' ? strtotime($datetime . ' UTC') : false;
        return $time === false ? null : $time;
    }

    /**
     * The newest events, newest first.
     *
     * @return list<array<string, mixed>>
     */
    public function latest(int $limit = 50): array
    {
        global $wpdb;
        $table = EventLogSchema::table();
        $rows = $wpdb->get_results($wpdb->prepare("SELECT * FROM {$table} ORDER BY id DESC LIMIT %d", max(1, $limit)), ARRAY_A);
        return is_array($rows) ? array_values($rows) : [];
    }

    /** @return array{total: int, last_hour: int} deferrals in the log */
    public function deferrals(): array
    {
        global $wpdb;
        $table = EventLogSchema::table();
        $row = $wpdb->get_row($wpdb->prepare(
            "SELECT COUNT(*) AS total, COALESCE(SUM(created_at >= %s), 0) AS last_hour FROM {$table} WHERE event = %s",
            gmdate('Y-m-d H:i:s', time() - 3600),
            'deferred',
        ), ARRAY_A);
        return ['total' => (int) ($row['total'] ?? 0), 'last_hour' => (int) ($row['last_hour'] ?? 0)];
    }

    /** @return list<string> providers the log has seen (the settings page shows their default limits) */
    public function providersSeen(): array
    {
        global $wpdb;
        $table = EventLogSchema::table();
        $providers = $wpdb->get_col($wpdb->prepare("SELECT DISTINCT provider FROM {$table} WHERE provider <> %s LIMIT 20", ''));
        return array_values(array_map('strval', is_array($providers) ? $providers : []));
    }

    private function prune(int $newestId): void
    {
        global $wpdb;
        $keep = max(100, (int) apply_filters('sluice_event_log_max_rows', 10000));
        $table = EventLogSchema::table();
        $wpdb->query($wpdb->prepare("DELETE FROM {$table} WHERE id <= %d", $newestId - $keep));
    }
}
