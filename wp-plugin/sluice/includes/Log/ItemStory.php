<?php
/**
 * One item's whole story from the event log, in the order it happened: for
 * an action, every row of its chain (the copies that deferrals, wakes and
 * requeues made before and after it, linked by copy_action_id and by the
 * work key they share); for a Data Machine job, every row of every step of
 * it. Rows that name only an action (a wake knows its copy's id alone) get
 * the job and flow step of their chain. `wp sluice events` and the status
 * page's item story box read it.
 */

declare(strict_types=1);

namespace SluiceWP\Log;

defined('ABSPATH') || exit;

final class ItemStory
{
    /** How many links of a chain are followed (each deferral adds one). */
    private const MAX_LINKS = 200;

    /** The columns a story shows, in order. */
    public const FIELDS = ['id', 'created_at', 'event', 'action_id', 'copy_action_id', 'job_id', 'flow_step_id', 'provider', 'reason', 'lease_key', 'limit_n', 'active_n', 'delay_s', 'duration_ms', 'attempt'];

    /**
     * The story of the action's chain.
     *
     * @return list<array<string, mixed>>
     */
    public function ofAction(int $actionId, ?int $since = null, int $limit = 500): array
    {
        return $this->chain([$actionId], [], $since, $limit);
    }

    /**
     * Every step of the job.
     *
     * @return list<array<string, mixed>>
     */
    public function ofJob(int $jobId, ?int $since = null, int $limit = 500): array
    {
        global $wpdb;
        $table = EventLogSchema::table();
        $ids = $wpdb->get_col($wpdb->prepare("SELECT DISTINCT action_id FROM {$table} WHERE job_id = %d AND action_id > 0 LIMIT %d", $jobId, self::MAX_LINKS));
        $ids = array_map('intval', is_array($ids) ? $ids : []);
        return $ids === [] ? [] : $this->chain(array_values($ids), [], $since, $limit);
    }

    /**
     * The newest rows (since a time), oldest first.
     *
     * @return list<array<string, mixed>>
     */
    public function latest(?int $since = null, int $limit = 100): array
    {
        global $wpdb;
        $table = EventLogSchema::table();
        $rows = $wpdb->get_results($wpdb->prepare(
            "SELECT * FROM {$table} WHERE at_ms >= %d ORDER BY at_ms DESC, id DESC LIMIT %d",
            ($since ?? 0) * 1000,
            max(1, $limit),
        ), ARRAY_A);
        return self::shaped(array_reverse(is_array($rows) ? $rows : []));
    }

    /**
     * Follows the links from $ids until no new action or work key turns up.
     *
     * @param list<int>    $ids
     * @param list<string> $workKeys
     * @return list<array<string, mixed>>
     */
    private function chain(array $ids, array $workKeys, ?int $since, int $limit): array
    {
        global $wpdb;
        $table = EventLogSchema::table();
        $rows = [];
        for ($round = 0; $round < self::MAX_LINKS; $round++) {
            $idList = implode(',', array_map('intval', $ids));
            $where = "action_id IN ({$idList}) OR copy_action_id IN ({$idList})";
            if ($workKeys !== []) {
                $where .= ' OR work_key IN (' . implode(',', array_map(static fn (string $k): string => (string) $wpdb->prepare('%s', $k), $workKeys)) . ')';
            }
            $found = $wpdb->get_results("SELECT * FROM {$table} WHERE {$where} ORDER BY at_ms, id LIMIT 5000", ARRAY_A);
            $rows = is_array($found) ? $found : [];
            $moreIds = array_values(array_unique(array_merge($ids, array_map('intval', array_filter(array_merge(array_column($rows, 'action_id'), array_column($rows, 'copy_action_id')))))));
            $moreKeys = array_values(array_unique(array_merge($workKeys, array_map('strval', array_filter(array_column($rows, 'work_key'))))));
            if (count($moreIds) === count($ids) && count($moreKeys) === count($workKeys)) {
                break;
            }
            [$ids, $workKeys] = [$moreIds, $moreKeys];
        }
        $rows = self::withJobOfChain($rows);
        if ($since !== null) {
            $rows = array_values(array_filter($rows, static fn (array $row): bool => (int) $row['at_ms'] >= $since * 1000));
        }
        return self::shaped(array_slice($rows, -max(1, $limit)));
    }

    /**
     * A row that names no job (a wake knows only its copy's id) takes the job
     * and flow step of a row about the same action, or of the deferral whose copy it is.
     *
     * @param array<int, array<string, mixed>> $rows
     * @return list<array<string, mixed>>
     */
    private static function withJobOfChain(array $rows): array
    {
        $byAction = [];
        foreach ($rows as $row) {
            if ($row['job_id'] !== null) {
                foreach ([(int) $row['action_id'], (int) $row['copy_action_id']] as $id) {
                    $byAction[$id] ??= [$row['job_id'], $row['flow_step_id']];
                }
            }
        }
        return array_values(array_map(static function (array $row) use ($byAction): array {
            $known = $byAction[(int) $row['action_id']] ?? null;
            if ($row['job_id'] === null && $known !== null) {
                [$row['job_id'], $row['flow_step_id']] = $known;
            }
            return $row;
        }, $rows));
    }

    /**
     * Rows as the story shows them: its fields, numbers as numbers.
     *
     * @param array<int, array<string, mixed>> $rows
     * @return list<array<string, mixed>>
     */
    private static function shaped(array $rows): array
    {
        $numbers = ['id', 'action_id', 'copy_action_id', 'limit_n', 'active_n', 'delay_s', 'duration_ms', 'attempt'];
        $shaped = [];
        foreach ($rows as $row) {
            $out = [];
            foreach (self::FIELDS as $field) {
                $value = $row[$field] ?? null;
                $out[$field] = in_array($field, $numbers, true) ? (int) $value : ($field === 'job_id' && $value !== null ? (int) $value : $value);
            }
            $shaped[] = $out;
        }
        return $shaped;
    }
}
