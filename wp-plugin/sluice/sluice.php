<?php
/**
 * Plugin Name:       Sluice
 * Plugin URI:        https://github.com/sluice-wp/sluice
 * Description:       Pressure control for AI work: each AI step that Action Scheduler runs takes a concurrency slot first, and waits (rescheduled, never failed) when none is free.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Author:            The Sluice maintainers
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       sluice
 * Domain Path:       /languages
 *
 * Loads the plugin: SluiceWP\Plugin (includes/Plugin.php) builds the services
 * and each folder of includes/ registers its own hooks.
 */

declare(strict_types=1);

defined('ABSPATH') || exit;

require_once __DIR__ . '/includes/autoload.php';

SluiceWP\Plugin::load(__FILE__);
