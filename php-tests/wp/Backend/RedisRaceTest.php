<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\WpTests\Support\RedisTestBed;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\RedisBackend;

/** The Redis backend under real concurrency: php processes, each with its own Redis connection (LastSlotRaceTestCase). */
final class RedisRaceTest extends LastSlotRaceTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        RedisTestBed::trust();
    }

    protected function backend(): Backend
    {
        return new RedisBackend();
    }

    protected function childBackendCode(): string
    {
        return 'require ' . var_export(dirname(__DIR__) . '/load-wordpress.php', true) . ';
            $backend = new SluiceWP\Backend\RedisBackend();';
    }
}
