<?php
/**
 * The tickets of a line that waited WaitingLine::STALE_AFTER_MS or longer,
 * in service order: the sweep checks whether their actions are gone.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class StaleTickets
{
    /**
     * @param list<QueueStatus> $line  in service order
     * @param string            $scope whose tickets ("<install>/<blog>"): the sweep checks its own blog's actions only
     * @return list<TicketStatus> at most $max
     */
    public static function in(array $line, int $max, string $scope): array
    {
        $stale = [];
        foreach ($line as $queue) {
            if ($queue->scope !== $scope) {
                continue;
            }
            foreach ($queue->tickets as $ticket) {
                if ($ticket->ageMs >= WaitingLine::STALE_AFTER_MS && count($stale) < $max) {
                    $stale[] = $ticket;
                }
            }
        }
        return $stale;
    }
}
