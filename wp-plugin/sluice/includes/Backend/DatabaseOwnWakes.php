<?php
/**
 * The wakes this process made with the database backend's hand-offs
 * (DatabaseHandOff) for tickets of its own blog, until it delivers them
 * (DatabaseLine::takeWakes()): with what they need (action id, how long the
 * reservation lasts by this host's clock), so that taking them needs no read.
 * One a hand-over took at once (marked woken by its own UPDATE) and this
 * process did not deliver goes back to 'reserved' at request end, for whoever
 * takes wakes next. Kept per process, whichever store instance made them.
 *
 * @internal the database backend's (DatabaseHandOff, DatabaseLine)
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseOwnWakes
{
    /**
     * ticket => [ref, reserved until (this host's microtime), the ticket's scope, taken already].
     *
     * @var array<string, array{int, float, string, bool}>
     */
    private static array $made = [];

    private static bool $returnsAtShutdown = false;

    /** This process queued a wake in the table since it last took them (a reserved ticket moved to a new copy). */
    private bool $queued = false;

    public function __construct(private readonly DatabaseSql $sql)
    {
    }

    /** A hand-off reserved slots for a ticket of $scope's blog (taken: its UPDATE marked it woken already). */
    public function made(string $ticket, int $ref, float $until, string $scope, bool $taken): void
    {
        self::$made[$ticket] = [$ref, $until, $scope, $taken];
        if ($taken) {
            $this->returnUndeliveredAtShutdown();
        }
    }

    /**
     * Up to $max of the wakes made for $scope's tickets since it last asked,
     * each with the time its reservation has left by this host's clock: those
     * taken already (a hand-over's), and those still to be taken from the
     * table (another session may take one first).
     *
     * @return array{list<Wake>, list<Wake>} taken, to take
     */
    public function take(int $max, string $scope): array
    {
        $now = microtime(true);
        $wakes = [[], []];
        $n = 0;
        foreach (self::$made as $ticket => [$ref, $until, $of, $taken]) {
            if ($of === $scope && $n++ < $max) { // another blog's (switch_to_blog since) is left to that blog's processes
                $wakes[$taken ? 0 : 1][] = new Wake((string) $ticket, $ref, max(0, (int) round(($until - $now) * 1000)));
                unset(self::$made[$ticket]);
            }
        }
        return $wakes;
    }

    /** The ticket moved or left the line: a wake of it this process holds is no longer right. */
    public function forget(string $ticket): void
    {
        unset(self::$made[$ticket]);
    }

    /** This process queued a wake in the table (a reserved ticket moved to a new copy). */
    public function queuedInTable(): void
    {
        $this->queued = true;
    }

    /** True when this process queued a wake in the table since it last asked; asking clears it. */
    public function takeQueuedInTable(): bool
    {
        $queued = $this->queued;
        $this->queued = false;
        return $queued;
    }

    private function returnUndeliveredAtShutdown(): void
    {
        if (self::$returnsAtShutdown) {
            return;
        }
        self::$returnsAtShutdown = true;
        register_shutdown_function(function (): void {
            $tickets = array_keys(array_filter(self::$made, static fn (array $w): bool => $w[3]));
            $tickets = array_values(array_filter(array_map('strval', $tickets), [LeaseArguments::class, 'isToken']));
            if ($tickets === []) {
                return;
            }
            try {
                $this->sql->write('UPDATE ' . DatabaseLineSchema::ticketsTable() . " SET state = 'reserved', gen = gen + 1 WHERE ticket IN ('"
                    . implode("','", $tickets) . "') AND state = 'woken'");
            } catch (DatabaseBackendException $e) {
                error_log('Sluice: wakes of the waiting line could not be given back at request end (their reservations lapse by themselves): ' . $e->getMessage());
            }
        });
    }
}
