<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Site;
use Sluice\WpTests\Cli\WpCli;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Settings\Sanitizer;

/**
 * A limit above what the store holds per key (the extension's
 * sluice.max_slots_per_key, 64 by default; 1024 on the database and Redis
 * backends): the settings page and `wp sluice config set` refuse it with a
 * message naming the maximum and what raises it; one that comes from a
 * filter is clamped, said once in the error log and shown as a health
 * problem, and the gate keeps gating. Before, the store threw on every AI
 * step, each ran ungated, and the status page said "healthy".
 */
final class CapacityLimitTest extends GateTestCase
{
    public function testTheSettingsRefuseALimitAboveWhatTheStoreHolds(): void
    {
        if (!function_exists('add_settings_error')) {
            require_once ABSPATH . 'wp-admin/includes/template.php';
        }
        $native = new Sanitizer(new NativeBackend());
        $saved = $native->sanitize(['_form' => '1', 'site_limit' => '65', 'tenant_limit' => '64', 'provider_limits' => "openai = 100"]);
        $messages = implode("\n", array_column($native->errors(), 'message'));
        self::assertArrayNotHasKey('site_limit', $saved, 'the site limit was not saved');
        self::assertSame(64, $saved['tenant_limit'] ?? null, '64 fits');
        self::assertStringContainsString('Site limit cannot be 65: the lease store in use holds at most 64 slots per key', $messages);
        self::assertStringContainsString('Provider limits (openai) cannot be 100', $messages);
        self::assertStringContainsString('sluice.max_slots_per_key', $messages, 'the message names what raises it');
        $database = new Sanitizer(new DatabaseBackend());
        $database->sanitize(['site_limit' => 1000, 'provider_limits' => ['openai' => 1000]]);
        self::assertSame([], $database->errors(), 'the database backend holds 1024 per key');

        $set = WpCli::sluice(['config', 'set', 'site_limit', '65']);
        self::assertSame(1, $set->exitCode);
        self::assertStringContainsString('at most 64 slots per key', $set->stderr);
        self::assertStringContainsString('sluice.max_slots_per_key', $set->stderr);
        self::assertSame(0, WpCli::sluice(['config', 'set', 'site_limit', '64'])->exitCode);
    }

    public function testALimitFromAFilterIsClampedAndTheGateStillGates(): void
    {
        self::sluice(['throttle_delay' => 1, 'throttle_delay_max' => 2]);
        self::testKnobs(['site_limit_filter' => 100]);
        datamachine_fixture_start_flow('clamped', 1);
        self::runQueueOnce();
        self::assertSame(1, Site::processedItems());
        $decisions = array_column(Site::recorded('sluice_test_decisions'), 'decision');
        self::assertContains('admit', $decisions, 'the AI step was gated');
        self::assertNotContains('backend_error', $decisions, 'not run ungated');
        self::assertSame(64, self::keyStatus(self::siteKey())->limit, 'the key holds the store\'s maximum');
        $clamped = preg_grep('/Sluice: the site limit asked for is 100 .* above the most the store in use holds per key \(64\): 64 applies/', explode("\n", Site::sluiceErrors()));
        self::assertCount(1, $clamped, 'said once in the runner\'s error log');
        wp_cache_flush();
        self::assertFalse(get_option('sluice_ungated'), 'nothing ran ungated');
        $health = WpCli::sluice(['report'])->json()['health'];
        self::assertSame('degraded', $health['state']);
        self::assertContains('limit_clamped', array_column($health['problems'], 'code'));
        Site::reset(); // the logged clamp was expected
    }
}
