<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\RedisTestBed;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\RedisBackend;
use Sluice\Support\WordPress\Site;

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
        return 'require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\RedisBackend();';
    }
}
