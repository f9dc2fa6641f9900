<?php
/**
 * Router of `php -S` for a subdirectory network in the tests (the stack's
 * nginx serves one single-site docroot): as the rewrite rules WordPress gives
 * for such a network, /<blog>/wp-admin/..., /<blog>/wp-login.php and the like
 * run the install's own file; anything else runs index.php. Static files are
 * served as they are.
 */

declare(strict_types=1);

$root = rtrim((string) $_SERVER['DOCUMENT_ROOT'], '/');
$uri = (string) parse_url((string) $_SERVER['REQUEST_URI'], PHP_URL_PATH);
$path = $uri;
if (!file_exists($root . $uri) && preg_match('#^/[^/]+(/wp-.*|/[^/]+\.php)$#', $uri, $m) === 1) {
    $path = $m[1];
}
$file = $root . $path;
if (is_dir($file)) {
    $path = rtrim($path, '/') . '/index.php';
    $file = $root . $path;
}
if (!is_file($file)) {
    $path = '/index.php';
    $file = $root . $path;
}
if (!str_ends_with($file, '.php')) {
    if ($path === $uri) {
        return false; // the built-in server serves it
    }
    header('Content-Type: ' . (mime_content_type($file) ?: 'application/octet-stream'));
    readfile($file);
    return true;
}
$_SERVER['SCRIPT_NAME'] = $path;
$_SERVER['PHP_SELF'] = $path;
$_SERVER['SCRIPT_FILENAME'] = $file;
chdir(dirname($file));
require $file;
