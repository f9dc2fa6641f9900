<?php
/**
 * One scheduled action that is AI work, with what the gate needs to take its
 * keys and to log a throttle: who it belongs to and which provider it calls.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

final class AiWork
{
    public function __construct(
        public readonly ScheduledAction $action,
        /** Provider slug ('' when unknown: only the site key applies). */
        public readonly string $provider,
        public readonly ?int $jobId = null,
        public readonly ?string $flowStepId = null,
        /** Whose work it is, for fair turns in the waiting line and the tenant cap (Data Machine: the flow). */
        public readonly string $tenant = '',
        /** Its share of turns against other tenants, 1..100 (10 = everyone equal). */
        public readonly int $weight = 10,
        /** Which kind of AI call it makes (Data Machine's mode: "pipeline" for its queued AI steps), for a mode key. */
        public readonly string $mode = 'pipeline',
    ) {
    }

    public function withTenant(string $tenant, int $weight): self
    {
        return new self($this->action, $this->provider, $this->jobId, $this->flowStepId, $tenant, max(1, min(100, $weight)), $this->mode);
    }

    /** What operators read in the holders list (HolderLabel). */
    public function label(): string
    {
        return HolderLabel::write($this);
    }
}
