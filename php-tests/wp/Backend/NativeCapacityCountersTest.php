<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\PhpCode;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\CapacityCounters;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Backend\NativeCapacityCounters;
use SluiceWP\Status\ProcessStores;

require_once __DIR__ . '/CapacityCountersContractTestCase.php';

/** Capacity counters in the extension's segment (the test bed's: every FPM worker and runner shares it), with no query. */
final class NativeCapacityCountersTest extends CapacityCountersContractTestCase
{
    protected function store(): CapacityCounters
    {
        return new NativeBackend();
    }

    protected function childStoreCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $store = new SluiceWP\Backend\NativeBackend();';
    }

    protected function addAt(array $countsByKey, int $minute): void
    {
        (new NativeCapacityCounters())->add($countsByKey, $minute);
    }

    /**
     * A WordPress process whose php.ini names a segment the extension refuses (a file more permissive than its
     * mode). Its refusal, which it records for the status page, is undone: later tests see the site as before.
     */
    protected function twoCallsToAFailingStore(): array
    {
        global $wpdb;
        $recorded = $wpdb->get_var($wpdb->prepare("SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", ProcessStores::OPTION));
        $segment = getenv('SLUICE_SEGMENT') . '-capfail';
        $path = \Sluice\segment_path($segment);
        $log = (string) tempnam(sys_get_temp_dir(), 'sluice-capacity-log-');
        file_put_contents($path, '');
        chmod($path, 0644);
        try {
            $child = Runner::shell('exec ' . escapeshellarg(PHP_BINARY) . ' -d ' . escapeshellarg("sluice.segment={$segment}")
                . ' -d sluice.file_mode=0600 -r ' . escapeshellarg(PhpCode::withVariables('
                require ' . var_export(Site::loader(), true) . ';
                ini_set("error_log", $log); // WordPress set its own debug log
                $store = new SluiceWP\Backend\NativeBackend();
                $store->addCounts([$key => [0 => 1]]);
                $store->addCounts([$key => [0 => 1, 6 => 1]]);
                echo "survived\n";', ['key' => self::key('lost'), 'log' => $log])));
            $child->expectLine('survived', 60);
            return array_values(array_filter(explode("\n", (string) file_get_contents($log))));
        } finally {
            $recorded === null
                ? $wpdb->delete($wpdb->options, ['option_name' => ProcessStores::OPTION])
                : $wpdb->update($wpdb->options, ['option_value' => $recorded], ['option_name' => ProcessStores::OPTION]);
            wp_cache_delete('alloptions', 'options');
            wp_cache_delete(ProcessStores::OPTION, 'options');
            @unlink($path);
            @unlink($path . '.lock');
            @unlink($log);
        }
    }

    public function testAddingCountsIsNoQuery(): void
    {
        global $wpdb;
        $store = $this->store();
        $before = $wpdb->num_queries;
        $store->addCounts([self::key('free') => [0 => 1, 1 => 1]]);
        self::assertSame(0, $wpdb->num_queries - $before);
    }
}
