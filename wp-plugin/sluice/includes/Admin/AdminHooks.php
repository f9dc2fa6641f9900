<?php
/**
 * wp-admin: Sluice > Status and Sluice > Settings (Network Admin > Sluice:
 * every blog's status, read-only, and the network's settings), the status page's live refresh
 * (admin-ajax sluice_status) and repairs (admin-post, POST only), and the
 * notice that tells an operator when AI work runs ungated or which store
 * limits it.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Capacity\CapacityCollector;
use SluiceWP\Plugin;
use SluiceWP\Settings\NoDefaults;
use SluiceWP\Status\Health;

defined('ABSPATH') || exit;

final class AdminHooks
{
    public function __construct(private readonly Plugin $plugin)
    {
    }

    public function init(): void
    {
        $notice = new BackendNotice($this->plugin->backends, fn (): Health => $this->plugin->health());
        add_action('admin_notices', [$notice, 'render']);
        add_action('network_admin_notices', [$notice, 'render']);
        (new SiteHealthTests(fn (): Health => $this->plugin->health(), $this->plugin->processStores))->init();
        if (!is_admin()) {
            return;
        }
        add_action('admin_init', fn () => SettingsPage::registerSetting($this->plugin->capacity()));
        add_action('admin_menu', function (): void {
            (new StatusPage($this->plugin->file, $this->source()))->addMenu();
            $dataMachine = $this->plugin->dataMachine;
            $active = $dataMachine->isActive();
            (new SettingsPage(
                $this->plugin->config,
                $active ? $dataMachine : new NoDefaults(),
                $active ? __('Data Machine', 'sluice') : '',
                $this->plugin->eventLog,
                fn (): ?string => $this->plugin->backends->backend()?->name(),
            ))->addMenu();
        });
        add_action('network_admin_menu', function (): void {
            (new NetworkStatusPage($this->plugin->file, $this->plugin->siteStatus()))->addMenu();
            $this->networkSettingsPage()->addMenu();
        });
        add_action('network_admin_edit_' . NetworkSettingsPage::ACTION, fn () => $this->networkSettingsPage()->save());
        add_action('wp_ajax_' . StatusAjax::ACTION, fn () => (new StatusAjax($this->source()))->handle());
        add_action('admin_post_' . LeaseActions::RELEASE, fn () => (new LeaseActions($this->plugin->siteStatus()))->release());
        add_action('admin_post_' . LeaseActions::RESET, fn () => (new LeaseActions($this->plugin->siteStatus()))->reset());
    }

    private function networkSettingsPage(): NetworkSettingsPage
    {
        return new NetworkSettingsPage($this->plugin->config, fn () => $this->plugin->capacity());
    }

    private function source(): StatusSource
    {
        $status = $this->plugin->siteStatus();
        return new StatusSource($status, $this->plugin->config, $this->plugin->eventLog, $this->plugin->samples, new CapacityCollector($this->plugin->backends, $status));
    }
}
