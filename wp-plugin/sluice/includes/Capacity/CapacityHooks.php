<?php
/**
 * The capacity view's parts, each registering its own hooks: REST
 * sluice/v1/capacity (Rest\CapacityRoutes), the alerts' minute check and its
 * action sluice_capacity_alert (CapacityWatch), and their admin notice
 * (Admin\CapacityNotice). `wp sluice capacity` is Cli\Commands', the status
 * page's section Admin\StatusSections'.
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

use SluiceWP\Admin\CapacityNotice;
use SluiceWP\Backend\BackendChoice;
use SluiceWP\Rest\CapacityRoutes;
use SluiceWP\Status\SiteStatus;

defined('ABSPATH') || exit;

final class CapacityHooks
{
    public function __construct(
        private readonly BackendChoice $backends,
        private readonly SiteStatus $status,
    ) {
    }

    public function init(): void
    {
        $collector = new CapacityCollector($this->backends, $this->status);
        (new CapacityRoutes($collector))->init();
        (new CapacityWatch($collector))->init();
        $notice = new CapacityNotice();
        add_action('admin_notices', [$notice, 'render']);
        add_action('network_admin_notices', [$notice, 'render']);
    }
}
