<?php
// Turns the single-site WordPress at WP_DIR (installed by tools/wordpress) into a
// subdirectory network, as wp-admin/network.php does: the network tables
// (install_network), the network and its main site (populate_network), then
// the multisite constants in wp-config.php. Test-only (php-tests/wp/Lifecycle).
// Usage: php make-network.php WP_DIR DOMAIN
declare(strict_types=1);

[, $wpDir, $domain] = $argv + [null, null, null];
if ($wpDir === null || $domain === null || !is_file($wpDir . '/wp-config.php')) {
    fwrite(STDERR, "usage: php make-network.php WP_DIR DOMAIN\n");
    exit(2);
}
$config = (string) file_get_contents($wpDir . '/wp-config.php');
if (str_contains($config, "define('MULTISITE', true)")) {
    echo "already a network\n";
    exit(0);
}
define('WP_INSTALLING_NETWORK', true);
$_SERVER['HTTP_HOST'] = $domain;
require $wpDir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
add_filter('pre_wp_mail', '__return_false');

// As wp-admin/network.php: the network tables' names, which a single site's $wpdb does not set.
global $wpdb;
foreach ($wpdb->tables('ms_global') as $table => $prefixed) {
    $wpdb->$table = $prefixed;
}
install_network();
$result = populate_network(1, $domain, 'admin@example.org', 'Sluice test network', '/', false);
if (is_wp_error($result)) {
    fwrite(STDERR, 'populate_network: ' . $result->get_error_message() . "\n");
    exit(1);
}
update_option('home', 'http://' . $domain);
update_option('siteurl', 'http://' . $domain);

// The network's constants; the single site's fixed URLs go (each blog has its own).
$constants = "define('WP_ALLOW_MULTISITE', true);\n"
    . "define('MULTISITE', true);\n"
    . "define('SUBDOMAIN_INSTALL', false);\n"
    . 'define(\'DOMAIN_CURRENT_SITE\', ' . var_export($domain, true) . ");\n"
    . "define('PATH_CURRENT_SITE', '/');\n"
    . "define('SITE_ID_CURRENT_SITE', 1);\n"
    . "define('BLOG_ID_CURRENT_SITE', 1);\n";
$config = (string) preg_replace("/^define\\('WP_(HOME|SITEURL)'.*\\n/m", '', $config);
$config = str_replace("if (!defined('ABSPATH'))", $constants . "if (!defined('ABSPATH'))", $config);
file_put_contents($wpDir . '/wp-config.php', $config);
echo "network ready\n";
