<?php
// tools/wordpress install: creates the site's tables and admin user when the
// site is not installed yet, then activates the named plugins. Idempotent.
// Usage: php install.php WP_DIR [plugin-folder ...]; the admin password comes
// from SLUICE_WP_ADMIN_PASSWORD.
declare(strict_types=1);

[$script, $wpDir] = $argv + [null, null];
if ($wpDir === null || !is_file($wpDir . '/wp-config.php')) {
    fwrite(STDERR, "usage: php install.php WP_DIR [plugin ...] (WP_DIR must hold wp-config.php)\n");
    exit(2);
}
$plugins = array_slice($argv, 2);
define('WP_INSTALLING', true);
require $wpDir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
// A throwaway site: no welcome mail (and no sendmail needed).
add_filter('pre_wp_mail', '__return_false');

if (!is_blog_installed()) {
    $password = (string) getenv('SLUICE_WP_ADMIN_PASSWORD');
    if ($password === '') {
        fwrite(STDERR, "install.php: SLUICE_WP_ADMIN_PASSWORD is empty\n");
        exit(2);
    }
    $result = wp_install('Sluice test site', 'admin', 'admin@example.org', false, '', wp_slash($password));
    fwrite(STDERR, "wordpress: installed WordPress " . get_bloginfo('version') . " (admin user id {$result['user_id']})\n");
}
foreach ($plugins as $folder) {
    $files = array_keys(get_plugins('/' . $folder));
    if ($files === []) {
        fwrite(STDERR, "install.php: no plugin found in wp-content/plugins/$folder\n");
        exit(1);
    }
    $file = $folder . '/' . $files[0];
    if (!is_plugin_active($file)) {
        $error = activate_plugin($file);
        if (is_wp_error($error)) {
            fwrite(STDERR, "install.php: activating $file failed: " . $error->get_error_message() . "\n");
            exit(1);
        }
        fwrite(STDERR, "wordpress: activated $file\n");
    }
}
