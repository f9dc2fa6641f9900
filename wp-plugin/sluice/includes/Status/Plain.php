<?php
/** A typed status object as plain data, where it leaves as JSON or through WP-CLI's Formatter. */

declare(strict_types=1);

namespace SluiceWP\Status;

defined('ABSPATH') || exit;

final class Plain
{
    /**
     * Its public properties in snake_case, nested objects and lists likewise.
     *
     * @return array<string, mixed>
     */
    public static function of(object $value): array
    {
        $out = [];
        foreach (get_object_vars($value) as $name => $field) {
            $out[strtolower((string) preg_replace('/(?<!^)[A-Z]/', '_$0', (string) $name))] = self::value($field);
        }
        return $out;
    }

    private static function value(mixed $value): mixed
    {
        if (is_object($value)) {
            return self::of($value);
        }
        if (is_array($value)) {
            return array_map(static fn (mixed $v): mixed => self::value($v), $value);
        }
        return $value;
    }
}
