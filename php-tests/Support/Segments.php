<?php
declare(strict_types=1);

namespace Sluice\Tests\Support;

/**
 * Names and files of test segments (both suites). Tests that break or resize a
 * segment give their children a segment of their own, named after this run's
 * segment so that tools/run-php-tests removes it with the rest. File names come
 * from Sluice\segment_path(), never spelled out here.
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

    /** The segment's file, as the loaded build names it (its layout version included). */
    public static function file(string $name): string
    {
        return \Sluice\segment_path($name);
    }

    /** The segment's shared-memory name, as segment_info() and error messages give it: "/sluice.v<N>.<name>". */
    public static function shmName(string $name): string
    {
        return '/' . basename(self::file($name));
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
