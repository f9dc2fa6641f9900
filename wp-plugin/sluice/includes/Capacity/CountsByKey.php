<?php
/**
 * What Backend\CapacityCounters::addCounts() is given, checked and put in
 * the stores' shape: every key with its eight counters in store order
 * (MinuteCounts::FIELDS), keys with nothing to add left out. A malformed key
 * or counter is the caller's mistake, not the store's: it is refused with a
 * ValueError naming it (a store error, by contrast, is logged and the count
 * lost: LostCounts).
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

defined('ABSPATH') || exit;

final class CountsByKey
{
    /** The stores' longest key (the core's, the database's varbinary(64)). */
    private const MAX_KEY_BYTES = 64;

    /**
     * @param array<array-key, mixed> $countsByKey key => [counter index => amount >= 0]
     * @return array<string, list<int>> key => the eight counters (only keys with something to add)
     * @throws \ValueError naming the key or counter that is wrong
     */
    public static function checked(array $countsByKey): array
    {
        $lists = [];
        $fields = count(MinuteCounts::FIELDS);
        foreach ($countsByKey as $key => $counts) {
            $key = (string) $key;
            if ($key === '' || strlen($key) > self::MAX_KEY_BYTES) {
                throw new \ValueError("a capacity counter's key is 1 to " . self::MAX_KEY_BYTES . " bytes, not \"{$key}\"");
            }
            if (!is_array($counts)) {
                throw new \ValueError("the capacity counts of key \"{$key}\" must be an array of counter => amount");
            }
            $list = array_fill(0, $fields, 0);
            foreach ($counts as $index => $amount) {
                if (!is_int($index) || $index < 0 || $index >= $fields) {
                    throw new \ValueError("key \"{$key}\" names capacity counter \"{$index}\"; the counters are 0 to " . ($fields - 1) . ' (MinuteCounts::FIELDS)');
                }
                if (!is_int($amount) || $amount < 0) {
                    throw new \ValueError("capacity counter {$index} (" . MinuteCounts::FIELDS[$index] . ") of key \"{$key}\" must be an int of at least 0");
                }
                $list[$index] += $amount;
            }
            if (array_sum($list) > 0) {
                $lists[$key] = $list;
            }
        }
        return $lists;
    }
}
