<?php
/**
 * The admin notice that an operator must see: every problem of Sluice's
 * health (Status\Health: a process that cannot use the site's store and
 * what its AI work does instead, processes on different stores, limits
 * above the store's capacity, actions that ran ungated, Redis unreachable),
 * each with its fix; or, when all is well but "auto" fell back to the
 * database backend, what an AI step costs there. Shown in wp-admin to a
 * blog's administrators and in Network Admin to network administrators.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Backend\BackendChoice;
use SluiceWP\Status\Health;
use SluiceWP\Status\HealthProblem;

defined('ABSPATH') || exit;

final class BackendNotice
{
    /** @param \Closure(): Health $health */
    public function __construct(
        private readonly BackendChoice $backends,
        private readonly \Closure $health,
    ) {
    }

    /** admin_notices (a blog's administrators) and network_admin_notices (network administrators: the main site's health). */
    public function render(): void
    {
        if (!current_user_can(is_network_admin() ? 'manage_network_options' : 'manage_options')) {
            return;
        }
        $health = ($this->health)();
        foreach ($health->problems as $problem) {
            printf(
                '<div class="notice %s sluice-health-%s"><p><strong>%s</strong> %s</p>%s</div>',
                $problem->severity === HealthProblem::CRITICAL ? 'notice-error' : 'notice-warning',
                esc_attr($problem->code),
                esc_html__('Sluice:', 'sluice'),
                esc_html($problem->message),
                $problem->fix !== '' ? '<p>' . esc_html__('Fix:', 'sluice') . '</p><pre class="sluice-fix">' . esc_html($problem->fix) . '</pre>' : '',
            );
        }
        if ($health->problems === [] && $this->backends->fellBackToDatabase()) {
            printf(
                '<div class="notice notice-info"><p>%s</p></div>',
                esc_html__('Sluice limits AI work through the database backend: the sluice PHP extension is not loaded in this PHP. Leases live in the site\'s database, one limit for every host that shares it: an AI step costs Sluice about 7 queries there (taking the slot, marking its provider request, giving it back), about 9 when its slot then goes to a waiting step, against about 3 with the extension. Load the extension for host-local leases, or set the backend to "database" to keep this store and hide this notice.', 'sluice'),
            );
        }
    }
}
