<?php
/**
 * The Redis backend's capacity counters: one script adds to every key's hash
 * of this minute (HINCRBY, by Redis's clock, so every host agrees on the
 * minute), each hash expiring 17 minutes after its minute began, so nothing
 * needs pruning; another reads the last 16 minutes of every key
 * (RedisLua/countsadd.lua, countsread.lua). Under the install's hash tag like
 * the other records, so it works on a Redis Cluster too.
 *
 * @internal RedisBackend's
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

use SluiceWP\Capacity\CountsByKey;
use SluiceWP\Capacity\MinuteCounts;

defined('ABSPATH') || exit;

final class RedisCapacityCounters
{
    private readonly LostCounts $lost;

    public function __construct(private readonly RedisStore $store)
    {
        $this->lost = new LostCounts('Redis');
    }

    /**
     * @param array<string, array<int, int>> $countsByKey
     * @param int $minute unix minute; 0 = Redis's now (one outside the last 16 minutes is dropped)
     */
    public function add(array $countsByKey, int $minute = 0): void
    {
        $counts = CountsByKey::checked($countsByKey);
        if ($counts === []) {
            return;
        }
        $args = [max(0, $minute), count($counts)];
        foreach ($counts as $key => $list) {
            array_push($args, $key, ...$list);
        }
        try {
            $this->store->call('countsadd', $args);
        } catch (RedisBackendException $e) {
            $this->lost->report($e);
        }
    }

    /**
     * @return array<string, list<MinuteCounts>>
     * @throws RedisBackendException when Redis cannot be read
     */
    public function read(): array
    {
        $flat = $this->store->call('countsread', []);
        if (!is_array($flat) || count($flat) % 10 !== 0) {
            throw new RedisBackendException("Sluice's Redis script countsread answered " . var_export($flat, true));
        }
        $byKey = [];
        foreach (array_chunk($flat, 10) as $row) {
            $byKey[(string) $row[0]][] = MinuteCounts::fromList((int) $row[1], array_map('intval', array_slice($row, 2)));
        }
        return $byKey;
    }
}
