<?php
declare(strict_types=1);

namespace Sluice\Tests\Support;

/**
 * Names and files of test segments. Tests that break or resize a segment give
 * their children a segment of their own, named after this run's segment so that
 * tools/run-php-tests removes it with the rest.
 */
final class Segments
{
    /** This run's segment (the one this PHPUnit process uses). */
    public static function main(): string
    {
        return (string) ini_get('sluice.segment');
    }

    /** A fresh segment name for one test, removed again by remove(). */
    public static function fresh(string $purpose): string
    {
        return self::main() . '-' . $purpose . '-' . bin2hex(random_bytes(3));
    }

    public static function file(string $name): string
    {
        return '/dev/shm/sluice.v1.' . $name;
    }

    public static function remove(string $name): void
    {
        foreach ([self::file($name), self::file($name) . '.lock'] as $path) {
            if (file_exists($path)) {
                unlink($path);
            }
        }
    }
}
