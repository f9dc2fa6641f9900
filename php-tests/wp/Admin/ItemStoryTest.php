<?php
declare(strict_types=1);

namespace Sluice\WpTests\Admin;

use SluiceWP\Log\EventLogSchema;

/**
 * The status page's item story box: with manage_options and its nonce an
 * operator reads one action's chain in order, escaped; a bad nonce reads
 * nothing; a user without the capability gets no page at all.
 */
final class ItemStoryTest extends AdminTestCase
{
    public function testAnAdministratorReadsAnActionsStoryWithTheNonceAndNobodyElseDoes(): void
    {
        global $wpdb;
        $table = EventLogSchema::table();
        $wpdb->query("DELETE FROM {$table}");
        $at = (int) floor(microtime(true) * 1000);
        foreach ([
            ['deferred', 501, 502, 'ai_concurrency_limit', 0],
            ['woken', 502, 0, 'slot_handed_over', 1],
            ['admitted', 502, 0, '<script>alert(1)</script>', 2],
            ['finished', 502, 0, 'action_ended', 3],
            ['admitted', 777, 0, 'another item', 4],
        ] as [$event, $action, $copy, $reason, $offset]) {
            $row = ['created_at' => gmdate('Y-m-d H:i:s'), 'at_ms' => $at + $offset, 'event' => $event, 'action_id' => $action, 'copy_action_id' => $copy, 'reason' => $reason];
            if ($event !== 'woken') {
                $row += ['job_id' => 88, 'flow_step_id' => 'story-ai_1'];
            }
            self::assertSame(1, $wpdb->insert($table, $row), $wpdb->last_error);
        }
        $admin = AdminHttp::admin();
        $page = $admin->get('/wp-admin/admin.php?page=sluice');
        self::assertSame(200, $page['status']);
        $latest = new \DOMDocument();
        @$latest->loadHTML($page['body']);
        $latestText = (string) (new \DOMXPath($latest))->query('//*[@data-sluice-section="events"]')?->item(0)?->textContent;
        foreach (['deferred: ai_concurrency_limit', 'woken: slot_handed_over', 'finished: action_ended'] as $kind) {
            self::assertStringContainsString($kind, $latestText, 'the latest events list shows every kind');
        }
        $fields = self::formFields($page['body'], 'sluice_story_action');
        self::assertNotSame('', $fields['_sluice_story_nonce'] ?? '', 'the box carries a nonce');

        $story = $admin->get('/wp-admin/admin.php?' . http_build_query(['sluice_story_action' => '501'] + $fields));
        self::assertSame(200, $story['status']);
        $table = self::storyRows($story['body']);
        self::assertSame(['deferred: ai_concurrency_limit', 'woken: slot_handed_over', 'admitted: <script>alert(1)</script>', 'finished: action_ended'], array_column($table, 1));
        self::assertSame(['88', '88', '88', '88'], array_column($table, 3), 'the wake names the job of its chain');
        self::assertStringNotContainsString('<script>alert(1)</script>', $story['body'], 'escaped');

        $byJob = self::storyRows($admin->get('/wp-admin/admin.php?' . http_build_query(['sluice_story_job' => '88'] + $fields))['body']);
        self::assertCount(5, $byJob, "every step of the job, the other item's too");

        $forged = $admin->get('/wp-admin/admin.php?' . http_build_query(['sluice_story_action' => '501', '_sluice_story_nonce' => 'forged'] + $fields));
        self::assertSame([], self::storyRows($forged['body']), 'a bad nonce reads nothing');
        self::assertStringContainsString('expired', $forged['body']);
        $bad = $admin->get('/wp-admin/admin.php?' . http_build_query(['sluice_story_action' => '5x'] + $fields));
        self::assertStringContainsString('whole numbers', $bad['body']);

        $editor = self::editor()->get('/wp-admin/admin.php?' . http_build_query(['sluice_story_action' => '501'] + $fields));
        self::assertSame(403, $editor['status'], 'no capability: no page');
        self::assertStringNotContainsString('slot_handed_over', $editor['body']);
        $wpdb->query('DELETE FROM ' . EventLogSchema::table());
    }

    /** @return list<list<string>> the story table's cells, row by row */
    private static function storyRows(string $html): array
    {
        $document = new \DOMDocument();
        @$document->loadHTML($html);
        $rows = [];
        foreach ((new \DOMXPath($document))->query('//table[contains(@class, "sluice-story")]/tbody/tr') ?: [] as $tr) {
            $cells = [];
            foreach ($tr->childNodes as $td) {
                if ($td instanceof \DOMElement) {
                    $cells[] = trim($td->textContent);
                }
            }
            $rows[] = $cells;
        }
        return $rows;
    }
}
