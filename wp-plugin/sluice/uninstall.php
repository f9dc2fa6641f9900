<?php
/**
 * Runs when the plugin is deleted from wp-admin (or `wp plugin uninstall`):
 * removes Sluice's tables, options, events and leases on every blog
 * (Lifecycle\Uninstaller says exactly what). The main blog's {prefix}sluice_*
 * tables include the network-wide ones: the database backend's leases and
 * its waiting line (sluice_line_tickets, sluice_line_stranded; and sluice_line_wakes of schema versions before 4).
 */

declare(strict_types=1);

defined('WP_UNINSTALL_PLUGIN') || exit;

require_once __DIR__ . '/includes/autoload.php';

SluiceWP\Lifecycle\Uninstaller::run();
