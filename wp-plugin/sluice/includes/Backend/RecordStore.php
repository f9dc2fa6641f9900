<?php
/**
 * One small record per key, beside the key's slots in the same store, that
 * every process and host reads and changes by compare-and-set: a write names
 * the version it read and succeeds only if the record is still at it. The
 * provider protection (Provider\ProviderStates) keeps each provider's
 * adaptive limit and circuit breaker here, so one implementation of its
 * rules serves every store. The native backend keeps it in the extension's
 * segment, the database backend in a table (KeyRecordsSchema), the Redis
 * backend in a hash.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

interface RecordStore
{
    /** The most bytes a record holds (the extension's segment keeps this many per key). */
    public const MAX_RECORD_BYTES = 128;
    /** A cap that hands the key no slot from the waiting line. */
    public const NO_HAND_OFF = -1;

    /**
     * The key's record (version 0 and no data when it has none yet) and the
     * store's clock now: every host reads one clock, so hosts whose own clocks
     * differ agree on every time in the record.
     *
     * @throws \RuntimeException when the store cannot be read (DatabaseBackendException, RedisBackendException, \Sluice\Exception)
     */
    public function readRecord(string $key): StoredRecord;

    /**
     * Writes $data as the key's record if it is still at $version (0: it has
     * none yet); its version then goes up by one. False when another writer
     * came first (read again and redo the change).
     *
     * The same write may set the key's cap for the waiting line ($cap: null
     * keeps it): above 0, a hand-off fills the key up to the cap instead of
     * the limits its tickets were queued under (a provider's adaptive limit
     * moves after they were); NO_HAND_OFF, the line hands the key no slot at
     * all (an open circuit); 0, no cap. A cap that opens or grows hands free
     * slots to waiting tickets at once.
     *
     * @throws \ValueError for a key outside the store's rules (1 to 64 bytes, no line break), a negative version, data over
     *         MAX_RECORD_BYTES or a cap below NO_HAND_OFF or above LeaseArguments::MAX_LIMIT
     * @throws \RuntimeException when the store cannot be written
     */
    public function writeRecord(string $key, int $version, string $data, ?int $cap = null): bool;
}
