<?php
/**
 * Plugin Name: Sluice test hooks (TEST ONLY)
 * Description: What the plugin's tests need inside queue runners: an AI task outside Data Machine, a record of Sluice's decisions and releases, and switches (option sluice_test_knobs) that make Action Scheduler refuse Sluice's copies, throw after an action, or break the backend. Never shipped.
 */

declare(strict_types=1);

/** @return array<string, mixed> */
function sluice_test_knobs(): array
{
    $knobs = get_option('sluice_test_knobs', []);
    return is_array($knobs) ? $knobs : [];
}

/** Appends one row to an option list (tests run one runner when they read these). */
function sluice_test_record(string $option, array $row): void
{
    $rows = get_option($option, []);
    $rows[] = $row;
    update_option($option, $rows, false);
}

// An AI task that is not a Data Machine step: operators mark such hooks as AI work. knobs['ai_task_hold']: it
// says "ai task running" and then holds its slot (sleeps) until the test kills its runner.
add_action('sluice_test_ai_task', static function (): void {
    if (!empty(sluice_test_knobs()['ai_task_hold'])) {
        echo "ai task running\n";
        sleep(300);
    }
    wp_safe_remote_post(SLUICE_TEST_PROVIDER_URL . '/v1/chat/completions', [
        'timeout' => 10,
        'headers' => ['Content-Type' => 'application/json'],
        'body' => wp_json_encode(['model' => 'fake-model', 'messages' => [['role' => 'user', 'content' => 'task']]]),
    ]);
    sluice_test_record('sluice_test_ai_task_runs', ['pid' => getmypid(), 'at' => microtime(true)]);
});

add_action('sluice_gate_decision', static function (string $decision, int $actionId): void {
    sluice_test_record('sluice_test_decisions', ['action' => $actionId, 'decision' => $decision]);
}, 10, 2);
add_action('sluice_lease_released', static function (int $actionId): void {
    sluice_test_record('sluice_test_releases', ['action' => $actionId]);
});

// Action Scheduler refuses Sluice's copy (pre_as_schedule_single_action answering 0), only inside the gate.
add_filter('pre_as_schedule_single_action', static function ($pre) {
    return !empty(sluice_test_knobs()['refuse_copies']) && doing_action('action_scheduler_before_execute') ? 0 : $pre;
});

// A listener after the action that throws: Action Scheduler then fires after_execute AND failed_execution.
add_action('action_scheduler_after_execute', static function (): void {
    if (!empty(sluice_test_knobs()['throw_after_execute'])) {
        throw new RuntimeException('sluice test: an after_execute listener threw');
    }
}, 50);

// A backend whose every call throws: the gate must let the work run, ungated, and say so.
add_filter('sluice_backend', static function ($backend) {
    if (empty(sluice_test_knobs()['broken_backend'])) {
        return $backend;
    }
    return new class implements \SluiceWP\Backend\Backend {
        public function name(): string { return 'broken'; }
        public function unavailableReason(): ?string { return null; }
        public function tryAcquire(array $limits, int $ttl, string $label): \SluiceWP\Backend\Lease|\SluiceWP\Backend\Refusal { throw new RuntimeException('sluice test: the backend is broken'); }
        public function release(\SluiceWP\Backend\Lease $lease): bool { throw new RuntimeException('broken'); }
        public function renew(\SluiceWP\Backend\Lease $lease, int $ttl): bool { throw new RuntimeException('broken'); }
        public function requestStarted(\SluiceWP\Backend\Lease $lease, int $maxSeconds, int $renewTtl = 0): bool { throw new RuntimeException('broken'); }
        public function requestFinished(\SluiceWP\Backend\Lease $lease): bool { throw new RuntimeException('broken'); }
        public function operatorView(): \SluiceWP\Backend\OperatorView { throw new RuntimeException('broken'); }
    };
});

// Weights per tenant for the waiting line's fairness tests: knobs['weights'] = [tenant => weight].
add_filter('sluice_ticket_weight', static function (int $weight, string $tenant): int {
    return (int) (sluice_test_knobs()['weights'][$tenant] ?? $weight);
}, 10, 2);

// Data Machine's steps are safe to run again in these tests when knobs['requeue_stranded'] says so.
add_filter('sluice_requeue_stranded', static function (bool $requeue, string $hook): bool {
    return $requeue || (!empty(sluice_test_knobs()['requeue_stranded']) && $hook === 'datamachine_execute_step');
}, 10, 2);

// A task that counts its runs in a table of its own (atomic), for tests that race two ways of running it.
add_action('sluice_test_counted_task', static function ($n): void {
    global $wpdb;
    $wpdb->query($wpdb->prepare("INSERT INTO {$wpdb->prefix}counted_task_runs (n, runs) VALUES (%d, 1) ON DUPLICATE KEY UPDATE runs = runs + 1", (int) $n));
});

/** Creates (empty) the table sluice_test_counted_task writes. */
function sluice_test_reset_runs(): void
{
    global $wpdb;
    $wpdb->query("CREATE TABLE IF NOT EXISTS {$wpdb->prefix}counted_task_runs (n INT NOT NULL PRIMARY KEY, runs INT NOT NULL)");
    $wpdb->query("TRUNCATE TABLE {$wpdb->prefix}counted_task_runs");
}

// knobs['move_ticket_throws']: the store the site chose, except that moving a ticket to a deferred action's copy
// throws, as a store that became unreachable right then would (DeferralFaultTest).
add_filter('sluice_backend', static function ($backend) {
    $knobs = get_option('sluice_test_knobs', []);
    if (!is_array($knobs) || empty($knobs['move_ticket_throws'])
        || !$backend instanceof SluiceWP\Backend\Backend || !$backend instanceof SluiceWP\Backend\WaitingLine) {
        return $backend;
    }
    // Declared only when the knob is set, so that the test site loads whatever the contract grows into.
    return new class ($backend) implements SluiceWP\Backend\Backend, SluiceWP\Backend\WaitingLine {
        /** @param SluiceWP\Backend\Backend&SluiceWP\Backend\WaitingLine $store */
        public function __construct(private readonly object $store)
        {
        }

        public function moveTicket(string $ticket, int $ref): bool
        {
            throw new RuntimeException('sluice test: the store went away while a ticket moved');
        }

        // Everything else goes to the store the site chose.
        public function name(): string { return $this->store->name(); }
        public function unavailableReason(): ?string { return $this->store->unavailableReason(); }
        public function tryAcquire(array $limits, int $ttl, string $label): SluiceWP\Backend\Lease|SluiceWP\Backend\Refusal { return $this->store->tryAcquire($limits, $ttl, $label); }
        public function release(SluiceWP\Backend\Lease $lease): bool { return $this->store->release($lease); }
        public function renew(SluiceWP\Backend\Lease $lease, int $ttl): bool { return $this->store->renew($lease, $ttl); }
        public function requestStarted(SluiceWP\Backend\Lease $lease, int $maxSeconds, int $renewTtl = 0): bool { return $this->store->requestStarted($lease, $maxSeconds, $renewTtl); }
        public function requestFinished(SluiceWP\Backend\Lease $lease): bool { return $this->store->requestFinished($lease); }
        public function operatorView(): SluiceWP\Backend\OperatorView { return $this->store->operatorView(); }
        public function lineAvailable(): bool { return $this->store->lineAvailable(); }
        public function tryAcquireFor(array $limits, int $ttl, string $label, int $ref): SluiceWP\Backend\Lease|SluiceWP\Backend\Refusal { return $this->store->tryAcquireFor($limits, $ttl, $label, $ref); }
        public function enqueue(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt): SluiceWP\Backend\Ticket { return $this->store->enqueue($limits, $ref, $tenant, $weight, $firstDeferredAt); }
        public function cancelTicket(string $ticket): bool { return $this->store->cancelTicket($ticket); }
        public function takeWakes(int $max, bool $ownOnly = false): array { return $this->store->takeWakes($max, $ownOnly); }
        public function wakeMissed(string $ticket): bool { return $this->store->wakeMissed($ticket); }
        public function takeStranded(int $max): array { return $this->store->takeStranded($max); }
        public function ackStranded(SluiceWP\Backend\StrandedLease $entry): void { $this->store->ackStranded($entry); }
        public function returnStranded(SluiceWP\Backend\StrandedLease $entry): void { $this->store->returnStranded($entry); }
        public function line(): array { return $this->store->line(); }
        public function staleTickets(int $max): array { return $this->store->staleTickets($max); }
    };
});

// knobs['record_line']: what the store's own waiting line said around each of the gate's decisions, one row per
// event in a table of its own (atomic inserts, so several runners can record at once). The waiting-line tests
// read the order of service and the reservations from these rows instead of from the order in which runners
// happened to write their event log rows (two runners deferring at once write those in either order).
//  - kind 'deferred': right after a deferral took (or kept) its ticket: every queue's tickets, in service order;
//  - kind 'decision': the decision on an action, whether the store held a slot reserved for that action (its
//    ticket was reserved, with more than a second of the reservation left) and the line, just before the gate decided.
// Each ticket: ref, state, reserved_left_ms, age_ms (since its first deferral, on the store's clock).

/** Creates (empty) the table the record_line knob writes. */
function sluice_test_reset_line_record(): void
{
    global $wpdb;
    $wpdb->query("CREATE TABLE IF NOT EXISTS {$wpdb->prefix}sluice_test_line (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        kind VARCHAR(16) NOT NULL, action BIGINT NOT NULL, reserved TINYINT NOT NULL DEFAULT 0, decision VARCHAR(32) NOT NULL DEFAULT '',
        queues LONGTEXT NOT NULL, at DOUBLE NOT NULL)");
    $wpdb->query("TRUNCATE TABLE {$wpdb->prefix}sluice_test_line");
}

/** @return list<array{kind: string, action: int, reserved: bool, decision: string, queues: list<array{tenant: string, tickets: list<array{ref: int, state: string, reserved_left_ms: int, age_ms: int}>}>, at: float}> */
function sluice_test_line_record(): array
{
    global $wpdb;
    $rows = [];
    foreach ($wpdb->get_results("SELECT * FROM {$wpdb->prefix}sluice_test_line ORDER BY id", ARRAY_A) as $row) {
        $rows[] = ['kind' => (string) $row['kind'], 'action' => (int) $row['action'], 'reserved' => (bool) $row['reserved'],
            'decision' => (string) $row['decision'], 'queues' => json_decode((string) $row['queues'], true), 'at' => (float) $row['at']];
    }
    return $rows;
}

/** @return list<array{tenant: string, tickets: list<array{ref: int, state: string, reserved_left_ms: int, age_ms: int}>}> the site's line now */
function sluice_test_line_now(): array
{
    $backend = SluiceWP\Plugin::instance()->backends->backend();
    if (!$backend instanceof SluiceWP\Backend\WaitingLine) {
        return [];
    }
    return array_map(static fn (SluiceWP\Backend\QueueStatus $q): array => [
        'tenant' => $q->tenant,
        'tickets' => array_map(static fn (SluiceWP\Backend\TicketStatus $t): array => ['ref' => $t->ref, 'state' => $t->state, 'reserved_left_ms' => $t->reservedLeftMs, 'age_ms' => $t->ageMs], $q->tickets),
    ], $backend->line());
}

function sluice_test_line_insert(string $kind, int $action, bool $reserved, string $decision, array $queues): void
{
    global $wpdb;
    $wpdb->insert($wpdb->prefix . 'sluice_test_line', ['kind' => $kind, 'action' => $action, 'reserved' => (int) $reserved,
        'decision' => $decision, 'queues' => (string) wp_json_encode($queues), 'at' => microtime(true)], ['%s', '%d', '%d', '%s', '%s', '%f']);
}

// Before the gate (which decides at priority 1): was a slot reserved for this action?
add_action('action_scheduler_before_execute', static function ($actionId): void {
    if (empty(sluice_test_knobs()['record_line'])) {
        return;
    }
    $reserved = false;
    $line = sluice_test_line_now();
    foreach ($line as $queue) {
        foreach ($queue['tickets'] as $ticket) {
            $reserved = $reserved || ($ticket['ref'] === (int) $actionId && $ticket['state'] === 'reserved' && $ticket['reserved_left_ms'] > 1000);
        }
    }
    $GLOBALS['sluice_test_line_before'][(int) $actionId] = [$reserved, $line];
}, 0, 1);
add_action('sluice_gate_decision', static function (string $decision, int $actionId): void {
    if (!empty(sluice_test_knobs()['record_line'])) {
        [$reserved, $line] = $GLOBALS['sluice_test_line_before'][$actionId] ?? [false, []];
        sluice_test_line_insert('decision', $actionId, $reserved, $decision, $line);
    }
}, 10, 2);
add_action('sluice_action_deferred', static function (array $context, SluiceWP\Gate\ThrottleEvent $event): void {
    if (!empty(sluice_test_knobs()['record_line'])) {
        sluice_test_line_insert('deferred', $event->work->action->id, false, '', sluice_test_line_now());
    }
}, 10, 2);

// A site limit from a filter (another plugin, a theme), beyond what the settings page allows: knobs['site_limit_filter'].
add_filter('sluice_pipeline_ai_concurrency', static function ($limit) {
    return (int) (sluice_test_knobs()['site_limit_filter'] ?? $limit);
});

// knobs['store_throws']: a store that answers every call with an error, as a database or Redis that went away
// does (StoreErrorTest): what the gate and the status report do then.
add_filter('sluice_backend', static function ($backend) {
    $knobs = get_option('sluice_test_knobs', []);
    if (!is_array($knobs) || empty($knobs['store_throws']) || !$backend instanceof SluiceWP\Backend\Backend) {
        return $backend;
    }
    return new class ($backend->name()) implements SluiceWP\Backend\Backend, SluiceWP\Backend\OperatorView {
        public function __construct(private readonly string $name)
        {
        }

        private static function fail(): never
        {
            throw new RuntimeException('sluice test: the lease store went away');
        }

        public function name(): string { return $this->name; }
        public function unavailableReason(): ?string { return null; }
        public function tryAcquire(array $limits, int $ttl, string $label): SluiceWP\Backend\Lease|SluiceWP\Backend\Refusal { self::fail(); }
        public function release(SluiceWP\Backend\Lease $lease): bool { self::fail(); }
        public function renew(SluiceWP\Backend\Lease $lease, int $ttl): bool { self::fail(); }
        public function requestStarted(SluiceWP\Backend\Lease $lease, int $maxSeconds, int $renewTtl = 0): bool { self::fail(); }
        public function requestFinished(SluiceWP\Backend\Lease $lease): bool { self::fail(); }
        public function operatorView(): SluiceWP\Backend\OperatorView { return $this; }
        public function keys(): array { self::fail(); }
        public function releaseToken(string $token): bool { self::fail(); }
        public function reset(string $key): int { self::fail(); }
        public function sweep(): int { self::fail(); }
    };
});

// knobs['cancel_fails']: Action Scheduler's UPDATE that cancels an action fails (a lock wait timeout or a lost
// connection would), so ActionScheduler_DBStore::cancel_action() throws (DeferralFaultTest). true: every cancel;
// an action id: only that action's (a lock on its row).
add_filter('query', static function (string $sql): string {
    if (preg_match("/^UPDATE `?\\w*actionscheduler_actions`? SET `?status`? = 'canceled' WHERE `?action_id`? = '?(\\d+)/i", $sql, $m) !== 1) {
        return $sql; // before get_option(), which queries through this filter
    }
    $knobs = get_option('sluice_test_knobs', []);
    $fails = is_array($knobs) ? ($knobs['cancel_fails'] ?? false) : false;
    if ($fails === true || (is_int($fails) && $fails === (int) $m[1])) {
        return 'UPDATE sluice_test_no_such_table SET status = 1';
    }
    return $sql;
});
