<?php
// The WP-CLI API the plugin's `wp sluice` commands call (includes/Cli), for
// PHPStan only: Packagist has no php-stubs/wp-cli-stubs in this registry copy,
// and WP-CLI itself (tools/wp-cli) is installed only for the tests. Signatures
// as in wp-cli/wp-cli 2.11.

namespace {
class WP_CLI
{
    /** @param callable|class-string|object $callable @param array<string, mixed> $args */
    public static function add_command(string $name, $callable, array $args = []): bool {}
    /** @param callable $callback */
    public static function add_hook(string $when, $callback): void {}
    public static function line(string $message = ''): void {}
    public static function log(string $message): void {}
    public static function success(string $message): void {}
    public static function warning(string $message): void {}
    /** @param string|\WP_Error|\Exception|\Throwable $message */
    public static function error($message, bool|int $exit = true): never {}
    /** @param array<string, mixed> $assoc_args */
    public static function confirm(string $question, array $assoc_args = []): void {}
    public static function halt(int $return_code): never {}
    /** @param array<string, mixed> $assoc_args */
    public static function print_value(mixed $value, array $assoc_args = []): void {}
}

}

namespace WP_CLI {
class Formatter
{
    /**
     * @param array<string, mixed>      $assoc_args format, fields, field (taken out of the array)
     * @param array<string>|string|null $fields     the default fields
     */
    public function __construct(array &$assoc_args, array|string|null $fields = null, string|false $prefix = false) {}
    /** @param iterable<mixed> $items */
    public function display_items(iterable $items, bool|array $ascii_pre_colorized = false): void {}
    public function display_item(mixed $item, bool|array $ascii_pre_colorized = false): void {}
}
}

