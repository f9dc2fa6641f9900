<?php
/**
 * Sluice's event log, {prefix}sluice_events: one row per decision about an
 * AI step, each with its action id, Data Machine job id and flow step and
 * provider where known: admitted (its keys and limits, its wait), deferred
 * (reason ai_concurrency_limit, also a tenant's cap, rate_budget,
 * provider_circuit_open or store_unusable; the copy that runs it later),
 * woken (a release handed its copy a slot and pulled it forward), finished
 * (its slots went back: the hold time), reclaimed (its lease was taken
 * back: its holder died, or the TTL or a sweep took it while it ran), drained (given back without an
 * end of its own: at request end, or a stranded entry returned for the next
 * sweep), stranded (its runner died holding a slot) and requeued (the copy
 * that runs a stranded action again); and one per change of a provider's
 * circuit breaker (circuit_opened, circuit_reopened after a failed probe,
 * circuit_closed). Rows are written together (EventBuffer), newest kept
 * (filter sluice_event_log_max_rows, default 10,000). Each deferral is also announced on the action
 * `sluice_action_deferred` (context array, event), which Data Machine's
 * adapter turns into a row of Data Machine's own log; each stranded action on
 * `sluice_action_stranded` (action id, id of the copy that runs again or 0, label).
 */

declare(strict_types=1);

namespace SluiceWP\Log;

use SluiceWP\Backend\Lease;
use SluiceWP\Backend\StrandedLease;
use SluiceWP\Gate\AiWork;
use SluiceWP\Gate\HolderLabel;
use SluiceWP\Gate\ScheduledAction;
use SluiceWP\Gate\ThrottleEvent;
use SluiceWP\Gate\StepLog;
use SluiceWP\Gate\ThrottleLog;
use SluiceWP\Provider\ProviderEvents;
use SluiceWP\Provider\ProviderState;
use SluiceWP\Gate\WorkHistory;

defined('ABSPATH') || exit;

final class EventLog implements ThrottleLog, StepLog, ProviderEvents
{
    public function __construct(private readonly EventBuffer $buffer = new EventBuffer())
    {
    }

    /** A queue run's rows are written when it ends (a long-lived runner's request may last many runs). */
    public function init(): void
    {
        add_action('action_scheduler_after_process_queue', function (): void {
            $this->buffer->flushQuietly();
        });
    }

    /** The request's rows not written yet go now (tests). */
    public function flush(): bool
    {
        return $this->buffer->flush();
    }

    public function deferred(ThrottleEvent $event): void
    {
        $work = $event->work;
        $this->buffer->add(self::workRow('deferred', $work) + [
            'copy_action_id' => $event->copyId,
            'reason' => substr($event->reason, 0, 64),
            'lease_key' => substr($event->key, 0, 64),
            'limit_n' => $event->limit,
            'active_n' => $event->active,
            'delay_s' => $event->rescheduledForSeconds,
            'attempt' => $event->attempt,
        ]);
        // Written now: the copy may run in another runner at once, and its own deferral reads this one (historyOf).
        if (!$this->buffer->flush()) {
            error_log('Sluice: a deferral of action ' . $work->action->id . ' is missing from the event log');
        }
        do_action('sluice_action_deferred', $event->context(), $event);
    }

    public function stranded(StrandedLease $lease, ?ScheduledAction $action, int $copyId, ?int $placedSince = null): void
    {
        $this->buffer->add(self::strandedRow('stranded', $lease, $action) + [
            'copy_action_id' => $copyId,
            'reason' => $copyId > 0 ? 'runner_died_requeued' : 'runner_died',
            'placed_at' => $placedSince !== null ? gmdate('Y-m-d H:i:s', $placedSince) : null,
        ]);
        // Written now, not at request end: the copy is pulled forward next, and its deferral reads placed_at.
        $this->buffer->flush();
        do_action('sluice_action_stranded', $lease->ref, $copyId, $lease->label);
    }

    public function admitted(AiWork $work, Lease $lease, int $waitedMs): void
    {
        [$key, $limit] = self::tightest($lease->limits);
        $this->buffer->add(self::workRow('admitted', $work) + [
            'reason' => substr(implode(',', array_map(static fn (string $k, int $l): string => "{$k}={$l}", array_keys($lease->limits), $lease->limits)), 0, 64),
            'lease_key' => substr($key, 0, 64),
            'limit_n' => $limit,
            'duration_ms' => max(0, $waitedMs),
        ]);
    }

    public function woken(int $copyId, int $reservedLeftMs): void
    {
        // Only the copy's id is known here: its job and step are on the rows of its chain (ItemStory joins them).
        $this->buffer->add(['event' => 'woken', 'action_id' => $copyId, 'reason' => 'slot_handed_over', 'duration_ms' => max(0, $reservedLeftMs)]);
    }

    public function finished(AiWork $work, int $heldMs, bool $atRequestEnd): void
    {
        $this->buffer->add(self::workRow($atRequestEnd ? 'drained' : 'finished', $work) + [
            'reason' => $atRequestEnd ? 'request_end' : 'action_ended',
            'duration_ms' => max(0, $heldMs),
        ]);
    }

    public function reclaimed(AiWork $work, int $heldMs): void
    {
        $this->buffer->add(self::workRow('reclaimed', $work) + ['reason' => 'lease_taken_back', 'duration_ms' => max(0, $heldMs)]);
    }

    public function reclaimedFromDeadHolder(StrandedLease $lease, ?ScheduledAction $action): void
    {
        $this->buffer->add(self::strandedRow('reclaimed', $lease, $action) + ['reason' => 'holder_died']);
    }

    public function drained(StrandedLease $lease, string $why): void
    {
        $this->buffer->add(self::strandedRow('drained', $lease, null) + ['reason' => substr($why, 0, 64)]);
    }

    public function requeued(int $originalId, int $copyId, ?ScheduledAction $action, StrandedLease $lease): void
    {
        $this->buffer->add(['action_id' => $originalId, 'copy_action_id' => $copyId, 'reason' => 'runs_again'] + self::strandedRow('requeued', $lease, $action));
    }

    public function circuitChanged(string $event, string $provider, string $key, ProviderState $state): void
    {
        $this->buffer->add([
            'event' => $event,
            'provider' => substr($provider, 0, 64),
            'reason' => $event === 'circuit_closed' ? 'probe_answered' : (string) ($state->circuitReason->value ?? ''),
            'lease_key' => substr($key, 0, 64),
            'limit_n' => $state->isOpen() ? 0 : $state->limit,
            'delay_s' => $state->isOpen() ? intdiv($state->cooldownMs, 1000) : 0,
            'attempt' => $state->cooldowns,
        ]);
    }

    /**
     * What every row about a step carries: its action, work key, job, flow step and provider.
     *
     * @return array<string, int|string|null>
     */
    private static function workRow(string $event, AiWork $work): array
    {
        return [
            'event' => $event,
            'action_id' => $work->action->id,
            'work_key' => $work->action->workKey(),
            'job_id' => $work->jobId,
            'flow_step_id' => $work->flowStepId,
            'provider' => substr($work->provider, 0, 64),
        ];
    }

    /**
     * What a row about a stranded lease carries: its action, and the job, flow step and provider its label names.
     *
     * @return array<string, int|string|null>
     */
    private static function strandedRow(string $event, StrandedLease $lease, ?ScheduledAction $action): array
    {
        $label = HolderLabel::parse($lease->label);
        return [
            'event' => $event,
            'action_id' => $lease->ref,
            'work_key' => $action?->workKey() ?? '',
            'job_id' => $label->jobId,
            'flow_step_id' => $label->step,
            'provider' => substr($label->provider, 0, 64),
        ];
    }

    /**
     * The key with the smallest limit among a lease's (the one that decided), and that limit.
     *
     * @param array<string, int> $limits
     * @return array{0: string, 1: int}
     */
    private static function tightest(array $limits): array
    {
        $positive = array_filter($limits, static fn (int $limit): bool => $limit > 0);
        if ($positive === []) {
            return ['', 0];
        }
        asort($positive);
        $key = (string) array_key_first($positive);
        return [$key, $positive[$key]];
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
}
