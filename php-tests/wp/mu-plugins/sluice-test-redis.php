<?php
/**
 * Plugin Name: Sluice test Redis (TEST ONLY)
 * Description: Points Sluice's Redis backend at the test bed's own Redis (tools/wp-stack starts it on SLUICE_REDIS_PORT), as an operator's wp-config.php would with SLUICE_REDIS. Never shipped.
 */

declare(strict_types=1);

defined('ABSPATH') || exit;

if (!defined('SLUICE_REDIS') && getenv('SLUICE_REDIS_PORT') !== false) {
    define('SLUICE_REDIS', ['host' => '127.0.0.1', 'port' => (int) getenv('SLUICE_REDIS_PORT')]);
}
