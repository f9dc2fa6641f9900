<?php
/**
 * One deferral, with the fields operators and Data Machine's log expect:
 * {job_id, flow_step_id, provider, reason, limit, active, rescheduled_for_seconds, attempt}.
 * The reason is ai_concurrency_limit (no slot), rate_budget (a rate budget must refill) or provider_circuit_open.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\Ticket;

defined('ABSPATH') || exit;

final class ThrottleEvent
{
    /** The usual reason: every slot of a key was taken (Refusal::CONCURRENCY). */
    public const REASON = 'ai_concurrency_limit';

    public function __construct(
        public readonly AiWork $work,
        /** The key that was full. */
        public readonly string $key,
        public readonly int $limit,
        public readonly int $active,
        public readonly int $rescheduledForSeconds,
        /** Sluice's own deferral count for this work, this one included (Action Scheduler has no attempt counter). */
        public readonly int $attempt,
        /** Id of the copy that will run instead (0: the scheduler refused the copy and the original ran ungated). */
        public readonly int $copyId,
        /** Its place in the waiting line (null without one, or when the line was full). */
        public readonly ?Ticket $ticket = null,
        /** Why: ai_concurrency_limit, store_unusable (this process cannot use the site's store), provider_circuit_open (CircuitOpen::REASON: the provider is not called until a probe), or rate_budget (Refusal::RATE_BUDGET: every slot was free, a rate budget's bucket must refill first). */
        public readonly string $reason = self::REASON,
    ) {
    }

    /** @return array<string, int|float|string|null> */
    public function context(): array
    {
        return [
            'job_id' => $this->work->jobId,
            'flow_step_id' => $this->work->flowStepId,
            'provider' => $this->work->provider,
            'reason' => $this->reason,
            'limit' => $this->limit,
            'active' => $this->active,
            'key' => $this->key,
            'rescheduled_for_seconds' => $this->rescheduledForSeconds,
            'attempt' => $this->attempt,
            'action_id' => $this->work->action->id,
            'copy_action_id' => $this->copyId,
            'tickets_ahead' => $this->ticket?->ahead,
            'estimated_wait_seconds' => $this->ticket !== null ? round($this->ticket->estimatedWaitSeconds(), 1) : null,
        ];
    }
}
