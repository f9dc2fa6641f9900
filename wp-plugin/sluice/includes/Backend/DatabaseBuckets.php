<?php
/**
 * The database backend's token buckets (rate budgets): one row per key in
 * sluice_rate_buckets, with the same rules as the extension's segment
 * (BucketRules, src/sluice/rate_bucket.hpp): one instant full_at, a pause
 * until an instant, the last taker's rate and burst, and the budget the
 * provider's headers announced (a take with rate 0 works under it).
 *
 * A take is never a statement of its own: claimParts() gives the SQL that
 * DatabaseKeys::claim() and DatabaseReservations::convertReservation() join
 * into their one UPDATE, whose WHERE also asks that every bucket holds the
 * step's tokens, so the slots and the tokens of one AI step are taken
 * together or not at all. When that UPDATE changed nothing, refusal() reads
 * the buckets to tell an empty bucket (a rate_budget refusal, counted) from a
 * slot another session took first.
 *
 * Clock: every instant is the database server's (NOW_US), never PHP's: the
 * hosts that share one database share its buckets, and their own clocks may
 * disagree by more than a refill takes.
 *
 * @internal the database backend's (DatabaseBackend)
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseBuckets implements BucketStore
{
    /** The database server's clock in UTC microseconds (constant within one statement). */
    public const NOW_US = "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)))";

    /** @var array<string, true> bucket rows this process knows exist (rows are never deleted while in use) */
    private static array $known = [];

    public function __construct(private readonly DatabaseSql $sql)
    {
    }

    /**
     * The tables, assignments and conditions that take each bucket's tokens in the caller's UPDATE (aliases b0,
     * b1, ...): its WHERE matches only while no pause holds and the level reaches min(tokens, burst).
     *
     * @param array<string, array{rate: float, burst: float, tokens: float}> $buckets
     * @return array{from: list<string>, set: list<string>, where: list<string>}
     */
    public function claimParts(array $buckets): array
    {
        $this->ensure(array_map('strval', array_keys($buckets)));
        $table = DatabaseSchema::bucketsTable();
        $now = self::NOW_US;
        $parts = ['from' => [], 'set' => [], 'where' => []];
        $i = 0;
        ksort($buckets, SORT_STRING); // one row order for every taker
        foreach ($buckets as $key => $take) {
            $b = 'b' . $i++;
            [$rate, $burst] = self::spec($b, $take);
            $n = BucketRules::number($take['tokens']);
            $parts['from'][] = "{$table} {$b}";
            $parts['where'][] = "{$b}.bucket_key = " . DatabaseSql::bytes((string) $key) . " AND {$b}.paused_until_us <= {$now}"
                . " AND ({$rate} <= 0 OR {$burst} - {$rate} * GREATEST({$b}.full_at_us - {$now}, 0) / 1e6 >= LEAST({$n}, {$burst}))";
            // Only literals and columns this statement does not assign appear on the right (a multi-table UPDATE
            // assigns in no promised order).
            $parts['set'][] = "{$b}.full_at_us = IF({$rate} > 0 AND {$n} > 0, GREATEST({$b}.full_at_us, {$now}) + ROUND({$n} / NULLIF({$rate}, 0) * 1e6), {$b}.full_at_us),"
                . " {$b}.rate = " . BucketRules::number($take['rate']) . ", {$b}.burst = " . BucketRules::number($take['burst']) . ','
                . " {$b}.takes = {$b}.takes + 1, {$b}.tokens_taken = {$b}.tokens_taken + {$n}";
        }
        return $parts;
    }

    /**
     * Why these buckets refuse a take now: the first that does (its refusal counted), or null when every one
     * of them has the tokens (the claim lost a slot to another session instead, or a row was missing).
     *
     * @param array<string, array{rate: float, burst: float, tokens: float}> $buckets
     */
    public function refusal(array $buckets): ?Refusal
    {
        $table = DatabaseSchema::bucketsTable();
        $in = implode(',', array_map(static fn ($k): string => DatabaseSql::bytes((string) $k), array_keys($buckets)));
        $rows = [];
        foreach ($this->sql->read("SELECT bucket_key, full_at_us, paused_until_us, learned_rate, learned_burst, " . self::NOW_US . " AS now_us FROM {$table} WHERE bucket_key IN ({$in})") as $row) {
            $rows[(string) $row['bucket_key']] = $row;
        }
        foreach ($buckets as $key => $take) {
            $key = (string) $key;
            $row = $rows[$key] ?? null;
            if ($row === null) {
                unset(self::$known[$key]); // deleted meanwhile (an operator's reset): the next claim creates it again
                continue;
            }
            $rate = $take['rate'] > 0 ? $take['rate'] : (float) $row['learned_rate'];
            $burst = $take['rate'] > 0 ? $take['burst'] : (float) $row['learned_burst'];
            $wait = BucketRules::wait($rate, $burst, (int) $row['full_at_us'], (int) $row['paused_until_us'], (int) $row['now_us'], $take['tokens']);
            if ($wait > 0) {
                $this->sql->write("UPDATE {$table} SET refusals = refusals + 1 WHERE bucket_key = " . DatabaseSql::bytes($key));
                return new Refusal($key, 0, 0, Refusal::RATE_BUDGET, (int) ceil($wait / 1000),
                    $rate > 0 ? (int) ceil($take['tokens'] / $rate * 1000) : 0);
            }
        }
        return null;
    }

    /** Tokens back (> 0, never above the burst) or out (< 0, an extra charge that may leave a debt), under the bucket's budget. */
    public function adjust(string $key, float $tokens): void
    {
        $tokens = max(-1e9, min(1e9, $tokens));
        if ($tokens == 0 || is_nan($tokens)) {
            return;
        }
        $now = self::NOW_US;
        $rate = 'IF(rate > 0, rate, learned_rate)';
        $n = BucketRules::number(abs($tokens));
        $set = $tokens > 0
            ? "full_at_us = IF({$rate} > 0 AND full_at_us > {$now}, GREATEST({$now}, full_at_us - ROUND({$n} / NULLIF({$rate}, 0) * 1e6)), full_at_us)"
            : "full_at_us = IF({$rate} > 0, GREATEST(full_at_us, {$now}) + ROUND({$n} / NULLIF({$rate}, 0) * 1e6), full_at_us), tokens_taken = tokens_taken + {$n}";
        $this->sql->write('UPDATE ' . DatabaseSchema::bucketsTable() . " SET {$set} WHERE bucket_key = " . DatabaseSql::bytes($key));
    }

    /** The provider's word on the key's budget: a learned budget, at most so many tokens left, a pause. */
    public function observe(string $key, BucketWord $word): void
    {
        if ($word->isEmpty()) {
            return;
        }
        $this->ensure([$key]);
        $now = self::NOW_US;
        $learned = $word->learnedRate > 0;
        // The budget this word is applied under: the operator's (the last taker's), else what the provider announces.
        $rate = 'IF(rate > 0, rate, ' . ($learned ? BucketRules::number($word->learnedRate) : 'learned_rate') . ')';
        $burst = 'IF(rate > 0, burst, ' . ($learned ? BucketRules::number($word->learnedBurst) : 'learned_burst') . ')';
        $set = [];
        if ($word->atMost !== null) {
            $missing = "({$burst} - " . BucketRules::number(max(0.0, min(1e9, $word->atMost))) . ')';
            $set[] = "full_at_us = IF({$rate} > 0 AND {$missing} > 0, GREATEST(full_at_us, {$now} + ROUND({$missing} / NULLIF({$rate}, 0) * 1e6)), full_at_us)";
        }
        if ($word->pauseMs > 0) {
            $set[] = "paused_until_us = GREATEST(paused_until_us, {$now} + " . (min(3_600_000, $word->pauseMs) * 1000) . ')';
        }
        if ($learned) { // last: the assignments above read the columns as they were
            $set[] = 'learned_rate = ' . BucketRules::number($word->learnedRate) . ', learned_burst = ' . BucketRules::number($word->learnedBurst);
        }
        if ($set !== []) {
            $this->sql->write('UPDATE ' . DatabaseSchema::bucketsTable() . ' SET ' . implode(', ', $set) . ' WHERE bucket_key = ' . DatabaseSql::bytes($key));
        }
    }

    /** @return array<string, BudgetStatus> every bucket with a budget or a pause */
    public function budgets(): array
    {
        $now = self::NOW_US;
        $budgets = [];
        foreach ($this->sql->read('SELECT *, ' . $now . ' AS now_us FROM ' . DatabaseSchema::bucketsTable() . ' ORDER BY bucket_key') as $row) {
            $set = (float) $row['rate'] > 0;
            $rate = $set ? (float) $row['rate'] : (float) $row['learned_rate'];
            $burst = $set ? (float) $row['burst'] : (float) $row['learned_burst'];
            $nowUs = (int) $row['now_us'];
            $pausedUntil = (int) $row['paused_until_us'];
            if ($rate <= 0 && $pausedUntil <= $nowUs) {
                continue;
            }
            $key = (string) $row['bucket_key'];
            $budgets[$key] = new BudgetStatus(
                key: $key,
                perMinute: round($rate * 60 + $burst, 2),
                source: $set ? 'set' : ($rate > 0 ? 'provider' : ''),
                level: round(BucketRules::level($rate, $burst, (int) $row['full_at_us'], $nowUs), 2),
                pausedUntil: $pausedUntil > $nowUs ? (int) ceil($pausedUntil / 1e6) : 0,
                takes: (int) $row['takes'],
                refusals: (int) $row['refusals'],
            );
        }
        return $budgets;
    }

    /** @param list<string> $keys rows for these buckets, unless this process knows they exist */
    private function ensure(array $keys): void
    {
        $new = array_values(array_filter($keys, static fn (string $k): bool => !isset(self::$known[$k])));
        if ($new === []) {
            return;
        }
        $this->sql->write('INSERT IGNORE INTO ' . DatabaseSchema::bucketsTable() . ' (bucket_key) VALUES '
            . implode(', ', array_map(static fn (string $k): string => '(' . DatabaseSql::bytes($k) . ')', $new)));
        foreach ($new as $k) {
            self::$known[$k] = true;
        }
    }

    /**
     * The rate and burst a take works under, as SQL: its own, or (rate 0) the budget the provider announced.
     *
     * @param array{rate: float, burst: float, tokens: float} $take
     * @return array{string, string}
     */
    private static function spec(string $alias, array $take): array
    {
        return $take['rate'] > 0
            ? [BucketRules::number($take['rate']), BucketRules::number($take['burst'])]
            : ["{$alias}.learned_rate", "{$alias}.learned_burst"];
    }
}
