<?php
/**
 * Reads and changes providers' states in the lease store (Backend\RecordStore),
 * each beside its provider key: a change is read, computed by the pure rules
 * and written back by compare-and-set, and tried again from a fresh read when
 * another process or host wrote first, so every writer's change lands once
 * and none is lost. A change that makes no material difference
 * (ProviderState::differsMateriallyFrom()) is not written. The store's clock
 * is the one every time in a state is measured on; this process keeps its
 * offset from the last read, so times it measured itself (when a request
 * started) can be put on that clock.
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

use SluiceWP\Backend\RecordStore;

defined('ABSPATH') || exit;

final class ProviderStates
{
    /** Writers racing for one record: after this many lost rounds the change is dropped (and logged). */
    private const ATTEMPTS = 20;

    private ?int $clockOffsetMs = null;

    public function __construct(private readonly RecordStore $store)
    {
    }

    /** @throws \RuntimeException when the store cannot be read */
    public function read(string $key): ProviderSnapshot
    {
        $record = $this->store->readRecord($key);
        $this->clockOffsetMs = $record->nowMs - self::localMs();
        return new ProviderSnapshot(ProviderState::decode($record->data), $record->version, $record->nowMs, $record->cap);
    }

    /**
     * Applies $change (state, store's now in ms => new state) until it lands,
     * with the key's cap for the waiting line that $capOf gives for the new
     * state (written when it differs from the stored one). Returns the state
     * before and after (the same when nothing needed writing); null when other
     * writers won every round.
     *
     * @param \Closure(ProviderState, int): ProviderState $change
     * @param (\Closure(ProviderState): int)|null $capOf
     * @return array{ProviderState, ProviderState}|null
     * @throws \RuntimeException when the store cannot be read or written
     */
    public function update(string $key, \Closure $change, ?\Closure $capOf = null): ?array
    {
        for ($attempt = 0; $attempt < self::ATTEMPTS; $attempt++) {
            $snapshot = $this->read($key);
            $next = $change($snapshot->state, $snapshot->nowMs);
            $cap = $capOf !== null ? $capOf($next) : null;
            $capMoves = $cap !== null && $cap !== $snapshot->cap;
            if (!$capMoves && !$snapshot->state->differsMateriallyFrom($next)) {
                return [$snapshot->state, $snapshot->state];
            }
            if ($this->store->writeRecord($key, $snapshot->version, $next->encode(), $capMoves ? $cap : null)) {
                return [$snapshot->state, $next];
            }
            // Lost to another writer: a moment's random wait, growing, so racing writers fall out of step.
            usleep(random_int(0, min(20_000, 500 << $attempt)));
        }
        error_log("Sluice: the provider state of {$key} changed under every one of " . self::ATTEMPTS . ' attempts; this response was not counted');
        return null;
    }

    /** This process's clock put on the store's (as of the last read; this clock before any). */
    public function storeMs(float $localSeconds): int
    {
        return (int) round($localSeconds * 1000) + ($this->clockOffsetMs ?? 0);
    }

    private static function localMs(): int
    {
        return (int) round(microtime(true) * 1000);
    }
}
