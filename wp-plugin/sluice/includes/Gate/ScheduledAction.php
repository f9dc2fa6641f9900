<?php
/**
 * A scheduled action as the gate sees it: what a copy needs to be identical
 * (hook, args, group, priority) and whether it repeats. The Scheduler adapter
 * builds it; the gate never sees Action Scheduler's own objects.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

final class ScheduledAction
{
    /** @param array<mixed> $args as stored by the scheduler (JSON round trip: objects come back as arrays) */
    public function __construct(
        public readonly int $id,
        public readonly string $hook,
        public readonly array $args,
        public readonly string $group,
        public readonly int $priority,
        public readonly bool $recurring,
        /** When it was due (unix seconds; null where the queue did not say). */
        public readonly ?int $scheduledAt = null,
    ) {
    }

    /** Names the work across its deferred copies (a copy has the same hook, args and group). */
    public function workKey(): string
    {
        return md5($this->hook . "\0" . (string) wp_json_encode($this->args) . "\0" . $this->group);
    }
}
