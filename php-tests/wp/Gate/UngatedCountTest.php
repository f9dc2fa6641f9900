<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

/**
 * When the lease store fails, it usually fails for every worker at once, and
 * each runs its action ungated and counts it: the count the operator sees on
 * the status page must be every one of them. Three long-lived processes (as
 * WP-CLI queue runners are) each count twenty ungated actions at the same
 * time, each having read the option into its cache first.
 */
final class UngatedCountTest extends GateTestCase
{
    public function testConcurrentProcessesLoseNoUngatedCount(): void
    {
        $go = tempnam(sys_get_temp_dir(), 'sluice-ungated-go-');
        unlink($go);
        $counters = [];
        for ($process = 1; $process <= 3; $process++) {
            $counters[] = Runner::php('require ' . var_export(Site::loader(), true) . ';
                get_option("sluice_ungated"); // cached now, as in a runner that has been up a while
                echo "ready\n";
                while (!file_exists($go)) { usleep(2000); }
                for ($i = 1; $i <= 20; $i++) {
                    SluiceWP\Plugin::instance()->ungated->ranUngated($process * 100 + $i, "the store threw");
                }
                echo "done\n";', ['go' => $go, 'process' => $process]);
        }
        foreach ($counters as $counter) {
            $counter->expectLine('ready');
        }
        touch($go);
        foreach ($counters as $counter) {
            self::assertSame(0, $counter->wait(60), 'a counting process failed: ' . $counter->output());
        }
        unlink($go);
        wp_cache_delete('alloptions', 'options');
        wp_cache_delete('sluice_ungated', 'options');
        $stored = get_option('sluice_ungated');
        self::assertSame(60, $stored['count'] ?? null, 'every ungated action of the three processes was counted: ' . json_encode($stored));
        self::assertSame('the store threw', $stored['last_error']);
    }
}
