<?php
/**
 * The admin notice that an operator must see: AI work runs ungated (no lease
 * store is usable, and why), Redis is unreachable and its fallback serves, or
 * "auto" fell back to the database backend, with what an AI step costs there.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Backend\BackendChoice;

defined('ABSPATH') || exit;

final class BackendNotice
{
    public function __construct(private readonly BackendChoice $backends)
    {
    }

    public function render(): void
    {
        if (!current_user_can('manage_options')) {
            return;
        }
        $reason = $this->backends->unavailableReason();
        if ($reason !== null) {
            printf(
                '<div class="notice notice-warning"><p>%s</p></div>',
                esc_html(sprintf(
                    /* translators: 1: the lease store setting (auto, native, database, redis), 2: why that store cannot be used */
                    __('Sluice is not limiting AI work: no lease store is usable (backend setting: %1$s): %2$s', 'sluice'),
                    $this->backends->preference(),
                    $reason,
                )),
            );
        } elseif ($this->backends->redisUnreachable() !== null) {
            printf(
                '<div class="notice notice-warning"><p>%s</p></div>',
                esc_html(sprintf(
                    /* translators: %s: why Redis cannot be used */
                    __('Sluice cannot use Redis (%s), so it limits AI work through the database backend, as the setting "When Redis is unreachable" says. That is a store apart: hosts that still reach Redis keep their slots there, each store granting the whole limit, until Redis answers again.', 'sluice'),
                    (string) $this->backends->redisUnreachable(),
                )),
            );
        } elseif ($this->backends->fellBackToDatabase()) {
            printf(
                '<div class="notice notice-info"><p>%s</p></div>',
                esc_html__('Sluice limits AI work through the database backend: the sluice PHP extension is not loaded in this PHP. Leases live in the site\'s database, one limit for every host that shares it: an AI step costs Sluice about 7 queries there (taking the slot, marking its provider request, giving it back), about 17 when its slot then goes to a waiting step, against about 3 with the extension. Load the extension for host-local leases, or set the backend to "database" to keep this store and hide this notice.', 'sluice'),
            );
        }
    }
}
