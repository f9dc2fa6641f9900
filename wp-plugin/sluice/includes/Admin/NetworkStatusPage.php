<?php
/**
 * The network status page (Network Admin > Sluice, manage_network_options):
 * every blog's status on one page, from Status\SiteStatus::network() (the
 * builder behind `wp sluice status --network`): backend and health, keys
 * with limit, active and peak, holders, the waiting line and the site key's
 * counters, each blog linked to its own Sluice > Status page, where its
 * repairs are. Read-only: it has no form and no action, so no nonce.
 * Blogs come PER_PAGE at a time.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Status\SiteReport;
use SluiceWP\Status\SiteStatus;

defined('ABSPATH') || exit;

final class NetworkStatusPage
{
    public const SLUG = 'sluice-network';
    public const CAPABILITY = 'manage_network_options';
    public const PER_PAGE = 20;

    public function __construct(
        private readonly string $pluginFile,
        private readonly SiteStatus $status,
    ) {
    }

    public function addMenu(): void
    {
        $hook = add_menu_page(
            __('Sluice status of the network', 'sluice'),
            __('Sluice', 'sluice'),
            self::CAPABILITY,
            self::SLUG,
            [$this, 'render'],
            'dashicons-performance',
            80,
        );
        add_action('admin_enqueue_scripts', function (string $suffix) use ($hook): void {
            if ($suffix === $hook) {
                $version = (string) filemtime(dirname($this->pluginFile) . '/assets/status.css');
                wp_enqueue_style('sluice-status', plugins_url('assets/status.css', $this->pluginFile), [], $version);
            }
        });
    }

    public function render(): void
    {
        if (!current_user_can(self::CAPABILITY)) {
            wp_die(esc_html__('Sorry, you are not allowed to access this page.', 'sluice'), '', ['response' => 403]);
        }
        // A page number only selects which blogs are read: nothing changes, so no nonce.
        $paged = max(1, absint(wp_unslash((string) ($_GET['paged'] ?? '1')))); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
        $total = is_multisite() ? (int) get_sites(['count' => true]) : 1;
        $pages = max(1, (int) ceil($total / self::PER_PAGE));
        $paged = min($paged, $pages);
        $reports = $this->status->network(self::PER_PAGE, ($paged - 1) * self::PER_PAGE);

        echo '<div class="wrap sluice-status sluice-network-status" id="sluice-network-status">';
        echo '<h1>' . esc_html__('Sluice status of the network', 'sluice') . '</h1>';
        echo '<p>' . esc_html(sprintf(
            /* translators: 1: number of sites, 2: page, 3: pages */
            _n('%1$d site (page %2$d of %3$d). Each site\'s own status page has its repairs (release a lease, reset a key).', '%1$d sites (page %2$d of %3$d). Each site\'s own status page has its repairs (release a lease, reset a key).', $total, 'sluice'),
            $total,
            $paged,
            $pages,
        )) . '</p>';
        $this->pagination($paged, $pages);
        foreach ($reports as $blogId => $report) {
            $this->blog($blogId, $report);
        }
        $this->pagination($paged, $pages);
        echo '</div>';
    }

    private function blog(int $blogId, SiteReport $report): void
    {
        $details = is_multisite() ? get_site($blogId) : null;
        $name = $details !== null ? (string) $details->blogname : (string) get_bloginfo('name');
        $url = $report->url;
        $sections = new StatusSections($report);
        echo '<div class="sluice-section sluice-blog" id="sluice-blog-' . esc_attr((string) $blogId) . '" data-sluice-blog="' . esc_attr((string) $blogId) . '">';
        echo '<h2>' . esc_html(sprintf(
            /* translators: 1: blog id, 2: site title */
            __('Site %1$d: %2$s', 'sluice'),
            $blogId,
            $name !== '' ? $name : $url,
        )) . '</h2>';
        echo '<p><a href="' . esc_url($url) . '">' . esc_html($url) . '</a> &middot; <a class="sluice-blog-status" href="'
            . esc_url(get_admin_url($blogId, 'admin.php?page=' . StatusPage::SLUG)) . '">' . esc_html__('Sluice status of this site', 'sluice') . '</a></p>';
        echo '<div class="sluice-grid">';
        // Every section's HTML is built by StatusSections, which escapes every value it prints.
        foreach ([
            'backend' => [__('Backend', 'sluice'), $sections->backend()],
            'counters' => [__('Counters (site key)', 'sluice'), $sections->counters()],
        ] as $id => [$title, $html]) {
            $this->section($id, $title, $html);
        }
        echo '</div>';
        foreach ([
            'keys' => [__('Keys', 'sluice'), $sections->keys()],
            'holders' => [__('Holders', 'sluice'), $sections->holders()],
            'line' => [__('Waiting line and reservations', 'sluice'), $sections->line()],
        ] as $id => [$title, $html]) {
            $this->section($id, $title, $html);
        }
        echo '</div>';
    }

    private function section(string $id, string $title, string $html): void
    {
        echo '<div class="sluice-subsection"><h3>' . esc_html($title) . '</h3>';
        echo '<div data-sluice-section="' . esc_attr($id) . '">' . $html . '</div></div>'; // phpcs:ignore WordPress.Security.EscapeOutput
    }

    private function pagination(int $paged, int $pages): void
    {
        if ($pages <= 1) {
            return;
        }
        $links = paginate_links([
            'base' => add_query_arg('paged', '%#%'),
            'format' => '',
            'current' => $paged,
            'total' => $pages,
        ]);
        if (is_string($links)) {
            echo '<div class="tablenav"><div class="tablenav-pages">' . wp_kses_post($links) . '</div></div>';
        }
    }
}
