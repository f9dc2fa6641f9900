<?php
/**
 * Plugin Name: Sluice test line faults (TEST ONLY)
 * Description: knobs['move_ticket_throws'] (option sluice_test_knobs) hands the gate the store it chose, except that moving a ticket to a deferred action's copy throws, as a store that became unreachable right then would. Never shipped.
 */

declare(strict_types=1);

defined('ABSPATH') || exit;

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

        /** Everything else goes to the store the site chose. @param array<mixed> $args */
        public function __call(string $name, array $args): mixed
        {
            return $this->store->$name(...$args);
        }

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
        public function line(): array { return $this->store->line(); }
        public function staleTickets(int $max): array { return $this->store->staleTickets($max); }
    };
});
