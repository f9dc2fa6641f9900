<?php
/**
 * The slot rows of one key, as an acquire read them.
 *
 * @internal DatabaseBackend's
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseSlots
{
    /** The key has a row in the keys table. */
    public bool $known = false;
    /** Tickets of the waiting line may wait for the key (its keys row says so). */
    public bool $waiting = false;
    /**
     * The key's cap for the waiting line's hand-offs from its record (RecordStore; a provider's adaptive limit,
     * or -1 while its circuit is open); 0: none.
     */
    public int $cap = 0;
    /** The database's clock when they were read (UTC ms). */
    public int $nowMs = 0;
    /** @var array<string, int> a reservation's ticket => when it was first deferred (ms): how long its action waited */
    public array $ticketFirstMs = [];
    /** @var array<int, DatabaseSlot> by slot number */
    public array $slots = [];

    /** Slots taken by a lease (any slot number: a limit may have shrunk since). */
    public function taken(): int
    {
        $taken = 0;
        foreach ($this->slots as $slot) {
            $taken += $slot->token !== '' ? 1 : 0;
        }
        return $taken;
    }

    /** @return list<int> free slot numbers within 1..$limit */
    public function freeWithin(int $limit): array
    {
        $free = [];
        foreach ($this->slots as $number => $slot) {
            if ($slot->token === '' && $number >= 1 && $number <= $limit) {
                $free[] = $number;
            }
        }
        return $free;
    }

    /** Room for one more lease under $limit: the number of a free slot within 1..$limit, or null. */
    public function room(int $limit): ?int
    {
        if ($this->taken() >= $limit) {
            return null;
        }
        $free = $this->freeWithin($limit);
        return $free === [] ? null : $free[0];
    }

    /** A lease was reclaimed: its slot here (if any) is free. */
    public function freeToken(string $token): void
    {
        foreach ($this->slots as $slot) {
            if ($slot->token === $token) {
                $slot->token = '';
            }
        }
    }
}
