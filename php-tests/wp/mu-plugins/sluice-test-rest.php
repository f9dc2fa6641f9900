<?php
/**
 * Plugin Name: Sluice tests: application passwords over HTTP (TEST ONLY)
 * Description: WordPress 6.1 offers application passwords only over HTTPS or in a 'local' environment; the test bed serves plain HTTP on loopback, so the REST suite (php-tests/wp/Rest) turns them on to authenticate an administrator and a subscriber with Basic auth. Never shipped.
 */

declare(strict_types=1);

add_filter('wp_is_application_passwords_available', '__return_true');
