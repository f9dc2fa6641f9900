<?php
// tools/wordpress reset: drops every table of the site's prefix, so the next
// install starts from an empty site. Usage: php drop-tables.php WP_DIR
declare(strict_types=1);

$wpDir = $argv[1] ?? '';
if (!is_file($wpDir . '/wp-config.php')) {
    fwrite(STDERR, "usage: php drop-tables.php WP_DIR\n");
    exit(2);
}
define('SHORTINIT', true);
require $wpDir . '/wp-load.php';
global $wpdb;
$like = $wpdb->esc_like($wpdb->prefix) . '%';
$tables = $wpdb->get_col($wpdb->prepare('SHOW TABLES LIKE %s', $like));
foreach ($tables as $table) {
    $wpdb->query('DROP TABLE IF EXISTS `' . str_replace('`', '', $table) . '`');
}
fwrite(STDERR, 'wordpress: dropped ' . count($tables) . " tables\n");
