<?php
/**
 * The status page's item story box: an operator enters an Action Scheduler
 * action id or a Data Machine job id and reads that item's whole story from
 * the event log (Log\ItemStory, as `wp sluice events --action|--job` shows
 * it), in order. The form is a GET with its own nonce; the rows are read
 * only for a user with the page's capability and a valid nonce, and every
 * value is escaped here.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Log\ItemStory;

defined('ABSPATH') || exit;

final class ItemStorySection
{
    public const NONCE = 'sluice_item_story';

    public function __construct(private readonly ItemStory $story = new ItemStory())
    {
    }

    public function html(): string
    {
        $action = self::requested('sluice_story_action');
        $job = self::requested('sluice_story_job');
        $html = $this->form($action, $job);
        if ($action === null && $job === null) {
            return $html;
        }
        if (!current_user_can(StatusPage::CAPABILITY)) {
            return $html . '<p class="sluice-bad">' . esc_html__('Sorry, you are not allowed to read the event log.', 'sluice') . '</p>';
        }
        $nonce = sanitize_text_field(wp_unslash((string) ($_GET['_sluice_story_nonce'] ?? '')));
        if (wp_verify_nonce($nonce, self::NONCE) === false) {
            return $html . '<p class="sluice-bad">' . esc_html__('The link has expired: enter the id again.', 'sluice') . '</p>';
        }
        if (($action !== null && !ctype_digit($action)) || ($job !== null && !ctype_digit($job))) {
            return $html . '<p class="sluice-bad">' . esc_html__('An action id and a job id are whole numbers.', 'sluice') . '</p>';
        }
        $rows = $action !== null ? $this->story->ofAction((int) $action) : $this->story->ofJob((int) $job);
        if ($rows === []) {
            return $html . '<p class="sluice-empty">' . esc_html__('The event log has no row about this item.', 'sluice') . '</p>';
        }
        return $html . $this->table($rows);
    }

    private function form(?string $action, ?string $job): string
    {
        $html = '<form method="get" class="sluice-story-form" action="' . esc_url(admin_url('admin.php')) . '">';
        $html .= '<input type="hidden" name="page" value="' . esc_attr(StatusPage::SLUG) . '">';
        $html .= wp_nonce_field(self::NONCE, '_sluice_story_nonce', false, false);
        $html .= '<label>' . esc_html__('Action id', 'sluice') . ' <input type="text" inputmode="numeric" name="sluice_story_action" value="' . esc_attr($action ?? '') . '" size="10"></label> ';
        $html .= '<label>' . esc_html__('or job id', 'sluice') . ' <input type="text" inputmode="numeric" name="sluice_story_job" value="' . esc_attr($job ?? '') . '" size="10"></label> ';
        return $html . '<button type="submit" class="button">' . esc_html__('Show its story', 'sluice') . '</button></form>';
    }

    /** @param list<array<string, mixed>> $rows */
    private function table(array $rows): string
    {
        $head = [__('When (UTC)', 'sluice'), __('Event', 'sluice'), __('Action', 'sluice'), __('Job', 'sluice'), __('Flow step', 'sluice'), __('Provider', 'sluice'),
            __('Key', 'sluice'), __('Limit / active', 'sluice'), __('Delay', 'sluice'), __('Wait or hold', 'sluice')];
        $html = '<table class="widefat striped sluice-table sluice-story"><thead><tr>';
        foreach ($head as $cell) {
            $html .= '<th scope="col">' . esc_html($cell) . '</th>';
        }
        $html .= '</tr></thead><tbody>';
        foreach ($rows as $row) {
            $copy = (int) $row['copy_action_id'] > 0 ? ' &rarr; ' . esc_html((string) $row['copy_action_id']) : '';
            $cells = [
                esc_html((string) $row['created_at']),
                esc_html(trim((string) $row['event'] . ': ' . (string) $row['reason'], ': ')),
                esc_html((string) $row['action_id']) . $copy,
                esc_html((string) ($row['job_id'] ?? '')),
                '<code>' . esc_html((string) ($row['flow_step_id'] ?? '')) . '</code>',
                esc_html((string) $row['provider']),
                '<code>' . esc_html((string) $row['lease_key']) . '</code>',
                esc_html($row['limit_n'] . ' / ' . $row['active_n']),
                esc_html(sprintf(/* translators: %d: seconds */ __('%d s', 'sluice'), (int) $row['delay_s'])),
                esc_html(sprintf(/* translators: %d: milliseconds */ __('%d ms', 'sluice'), (int) $row['duration_ms'])),
            ];
            $html .= '<tr><td>' . implode('</td><td>', $cells) . '</td></tr>';
        }
        return $html . '</tbody></table>';
    }

    /** The id the form sent (raw text, checked by the caller), or null when the field was not sent or left empty. */
    private static function requested(string $field): ?string
    {
        if (!isset($_GET[$field])) {
            return null;
        }
        $value = trim(sanitize_text_field(wp_unslash((string) $_GET[$field])));
        return $value === '' ? null : $value;
    }
}
