<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Backend\RateBuckets;
use SluiceWP\Backend\WaitingLine;

require_once __DIR__ . '/RateBucketsContractTestCase.php';

/** The native backend's token buckets (the extension's segment) against the rate buckets contract. */
final class NativeRateBucketsTest extends RateBucketsContractTestCase
{
    protected function backend(): Backend&RateBuckets&WaitingLine
    {
        return new NativeBackend();
    }

    protected function childBackendCode(): string
    {
        return 'defined("ABSPATH") || define("ABSPATH", "/");
            require ' . var_export(WP_PLUGIN_DIR . '/sluice/includes/autoload.php', true) . ';
            $backend = new SluiceWP\Backend\NativeBackend();';
    }
}
