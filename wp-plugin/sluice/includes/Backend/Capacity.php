<?php
/**
 * The largest limit a key can have in a store, and what raises it: the
 * extension's segment holds sluice.max_slots_per_key slots per key (64 by
 * default), the database and Redis backends 1024. The settings page, `wp
 * sluice config set` and REST refuse a limit above it with that message;
 * Config clamps one that comes from a filter or Data Machine's settings.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

interface Capacity
{
    public function maxLimit(): int;

    /** What to do for more, in words an operator can act on ('' where nothing raises it). */
    public function raiseMaxLimit(): string;
}
