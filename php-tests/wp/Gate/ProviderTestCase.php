<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\RedisTestBed;
use SluiceWP\Backend\BackendChoice;
use SluiceWP\Backend\RecordStore;
use SluiceWP\Provider\ProviderState;
use SluiceWP\Provider\ProviderStates;

/**
 * The provider protection's end-to-end tests: the fixture's provider is
 * "fake"; its state lives beside its key in the store the setting `backend`
 * picks; the call log mu-plugin (sluice-test-provider-calls.php) writes what
 * reached the provider and what Sluice refused.
 */
abstract class ProviderTestCase extends GateTestCase
{
    protected string $callLog = '';

    protected function setUp(): void
    {
        parent::setUp();
        RedisTestBed::trust();
        $this->callLog = sys_get_temp_dir() . '/sluice-provider-calls-' . getmypid() . '-' . bin2hex(random_bytes(3)) . '.jsonl';
        touch($this->callLog);
        chmod($this->callLog, 0666);
        update_option('sluice_test_provider_calls', $this->callLog, true);
        $prefix = RedisTestBed::prefix();
        foreach (RedisTestBed::client()->keys($prefix . 'r:*') ?: [] as $key) {
            RedisTestBed::client()->del($key);
        }
    }

    protected function tearDown(): void
    {
        delete_option('sluice_test_provider_calls');
        @unlink($this->callLog);
        parent::tearDown();
    }

    /** @return list<array<string, mixed>> the call log's rows of one event (request, refused, retry) */
    protected function calls(string $event): array
    {
        $rows = [];
        foreach (file($this->callLog, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
            $row = json_decode($line, true);
            if (is_array($row) && ($row['event'] ?? '') === $event) {
                $rows[] = $row;
            }
        }
        return $rows;
    }

    /** The provider key of the fixture's provider on this blog. */
    protected static function providerKey(): string
    {
        return self::gateKeys()->provider('fake', false);
    }

    /** The fixture's provider's state in this store (native, database, redis). */
    protected static function providerState(string $backend = 'native'): ProviderState
    {
        $store = (new BackendChoice($backend, 'ungated', 300))->backend();
        self::assertInstanceOf(RecordStore::class, $store);
        return (new ProviderStates($store))->read(self::providerKey())->state;
    }

    /**
     * Event log rows of these events, oldest first.
     *
     * @param list<string> $events
     * @return list<array<string, mixed>>
     */
    protected static function events(array $events): array
    {
        global $wpdb;
        $in = implode(',', array_map(static fn (string $e): string => "'" . esc_sql($e) . "'", $events));
        return $wpdb->get_results("SELECT * FROM {$wpdb->prefix}sluice_events WHERE event IN ({$in}) ORDER BY id", ARRAY_A) ?: [];
    }
}
