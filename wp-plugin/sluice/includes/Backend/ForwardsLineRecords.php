<?php
/**
 * A backend whose waiting line's records live in a class of their own
 * (DatabaseLine, RedisLine): every LineRecords call goes straight to it.
 *
 * @internal the database and Redis backends'
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

trait ForwardsLineRecords
{
    /** Where this backend keeps its tickets, wakes and stranded entries. */
    abstract protected function lineRecords(): LineRecords;

    public function enqueue(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt): Ticket
    {
        return $this->lineRecords()->enqueue($limits, $ref, $tenant, $weight, $firstDeferredAt);
    }

    public function moveTicket(string $ticket, int $ref): bool
    {
        return $this->lineRecords()->moveTicket($ticket, $ref);
    }

    public function cancelTicket(string $ticket): bool
    {
        return $this->lineRecords()->cancelTicket($ticket);
    }

    public function takeWakes(int $max, bool $ownOnly = false): array
    {
        return $this->lineRecords()->takeWakes($max, $ownOnly);
    }

    public function wakeMissed(string $ticket): bool
    {
        return $this->lineRecords()->wakeMissed($ticket);
    }

    public function takeStranded(int $max): array
    {
        return $this->lineRecords()->takeStranded($max);
    }

    public function ackStranded(StrandedLease $entry): void
    {
        $this->lineRecords()->ackStranded($entry);
    }

    public function returnStranded(StrandedLease $entry): void
    {
        $this->lineRecords()->returnStranded($entry);
    }

    public function line(): array
    {
        return $this->lineRecords()->line();
    }

    public function staleTickets(int $max): array
    {
        return $this->lineRecords()->staleTickets($max);
    }
}
