<?php
/**
 * The status page (Sluice > Status, manage_options): the sections of
 * StatusSections, the per-minute chart drawn by assets/status.js as inline
 * SVG, refreshed without reloading from StatusAjax every few seconds.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

defined('ABSPATH') || exit;

final class StatusPage
{
    public const SLUG = 'sluice';
    public const CAPABILITY = 'manage_options';
    public const REFRESH_MS = 5000;

    /** Outcomes of LeaseActions shown once after their redirect. */
    private const NOTICES = ['released', 'not_held', 'reset'];

    public function __construct(
        private readonly string $pluginFile,
        private readonly StatusSource $source,
    ) {
    }

    public function addMenu(): void
    {
        $hook = add_menu_page(
            __('Sluice status', 'sluice'),
            __('Sluice', 'sluice'),
            self::CAPABILITY,
            self::SLUG,
            [$this, 'render'],
            'dashicons-performance',
            80,
        );
        add_submenu_page(self::SLUG, __('Sluice status', 'sluice'), __('Status', 'sluice'), self::CAPABILITY, self::SLUG, [$this, 'render']);
        add_action('admin_enqueue_scripts', function (string $suffix) use ($hook): void {
            if ($suffix === $hook) {
                $this->enqueue();
            }
        });
    }

    /** @param array<string, string> $query */
    public static function url(array $query = []): string
    {
        return add_query_arg(['page' => self::SLUG] + $query, admin_url('admin.php'));
    }

    private function enqueue(): void
    {
        $version = (string) filemtime(dirname($this->pluginFile) . '/assets/status.js');
        wp_enqueue_style('sluice-status', plugins_url('assets/status.css', $this->pluginFile), [], $version);
        wp_enqueue_script('sluice-status', plugins_url('assets/status.js', $this->pluginFile), [], $version, true);
        wp_localize_script('sluice-status', 'sluiceStatus', [
            'ajaxUrl' => admin_url('admin-ajax.php'),
            'nonce' => wp_create_nonce(StatusAjax::NONCE),
            'refreshMs' => self::REFRESH_MS,
            'i18n' => [
                'slots' => __('Slots in use', 'sluice'),
                'limit' => __('Site limit', 'sluice'),
                'deferred' => __('Deferrals', 'sluice'),
                'completed' => __('AI steps finished', 'sluice'),
                'provider' => __('Provider limit in force', 'sluice'),
                'perMinute' => __('per minute, last hour (UTC)', 'sluice'),
                'updated' => __('Updated', 'sluice'),
                'failed' => __('Live refresh failed:', 'sluice'),
                'noData' => __('No samples yet in the last hour.', 'sluice'),
            ],
        ]);
    }

    public function render(): void
    {
        if (!current_user_can(self::CAPABILITY)) {
            wp_die(esc_html__('Sorry, you are not allowed to access this page.', 'sluice'), '', ['response' => 403]);
        }
        $sections = (new StatusSections($this->source->status()->report(), $this->source))->all();
        $titles = [
            'backend' => __('Backend', 'sluice'),
            'keys' => __('Keys', 'sluice'),
            'providers' => __('Providers: adaptive limit and circuit breaker', 'sluice'),
            'budgets' => __('Rate budgets', 'sluice'),
            'capacity' => __('Capacity: load, waits and headroom per key', 'sluice'),
            'holders' => __('Holders', 'sluice'),
            'line' => __('Waiting line and reservations', 'sluice'),
            'counters' => __('Counters (site key)', 'sluice'),
            'events' => __('Latest events', 'sluice'),
        ];
        echo '<div class="wrap sluice-status" id="sluice-status" data-sluice-state="loading">';
        echo '<h1>' . esc_html__('Sluice status', 'sluice') . '</h1>';
        $this->notice();
        echo '<p class="sluice-live" aria-live="polite"><span id="sluice-updated"></span></p>';
        echo '<div class="sluice-grid">';
        foreach (['backend', 'counters'] as $id) {
            $this->section($id, $titles[$id], $sections[$id]);
        }
        echo '</div>';
        echo '<div class="sluice-section"><h2>' . esc_html__('Slots, deferrals and finished AI steps per minute', 'sluice') . '</h2>';
        echo '<div id="sluice-chart" class="sluice-chart"><noscript>' . esc_html__('The chart needs JavaScript.', 'sluice') . '</noscript></div>';
        echo '<script type="application/json" id="sluice-chart-data">' . wp_json_encode($this->source->chart(), JSON_HEX_TAG | JSON_HEX_AMP) . '</script>';
        echo '</div>';
        foreach (['capacity', 'keys', 'providers', 'budgets', 'holders', 'line', 'events'] as $id) {
            $this->section($id, $titles[$id], $sections[$id]);
        }
        $this->section('story', __('Item story: one action or job, every decision in order', 'sluice'), (new ItemStorySection())->html());
        echo '</div>';
    }

    private function section(string $id, string $title, string $html): void
    {
        echo '<div class="sluice-section" id="sluice-' . esc_attr($id) . '"><h2>' . esc_html($title) . '</h2>';
        // $html is built by StatusSections, which escapes every value it prints.
        echo '<div data-sluice-section="' . esc_attr($id) . '">' . $html . '</div></div>'; // phpcs:ignore WordPress.Security.EscapeOutput
    }

    private function notice(): void
    {
        $code = isset($_GET['sluice_notice']) ? sanitize_key(wp_unslash((string) $_GET['sluice_notice'])) : '';
        if (!in_array($code, self::NOTICES, true)) {
            return;
        }
        $messages = [
            'released' => [__('Lease released: its slot is free.', 'sluice'), 'success'],
            'not_held' => [__('No lease with this token is held on this site (already released, reclaimed or reset, or another site\'s).', 'sluice'), 'warning'],
            'reset' => [__('Key reset: every lease of it was dropped.', 'sluice'), 'success'],
        ];
        [$text, $type] = $messages[$code];
        echo '<div class="notice notice-' . esc_attr($type) . ' is-dismissible"><p>' . esc_html($text) . '</p></div>';
    }
}
