<?php
declare(strict_types=1);

namespace Sluice\WpTests\Admin;

use SluiceWP\Settings\Sanitizer as SettingsSanitizer;

/**
 * The settings form's validation (Settings\Sanitizer, the Settings API's
 * sanitize callback), in this process: typed values stored, a bad value
 * reported with add_settings_error and the stored one kept.
 */
final class SettingsValidationTest extends AdminTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        require_once ABSPATH . 'wp-admin/includes/template.php';
        $GLOBALS['wp_settings_errors'] = [];
    }

    /** @param array<string, string> $fields */
    private static function form(array $fields): array
    {
        return ['_form' => '1'] + $fields;
    }

    /** @return list<string> codes of the settings errors reported */
    private static function errorCodes(): array
    {
        return array_values(array_map(static fn (array $e): string => (string) $e['code'], get_settings_errors('sluice_settings')));
    }

    public function testGoodValuesAreStoredTyped(): void
    {
        update_option('sluice_settings', ['other_setting' => 'kept']);
        $out = (new SettingsSanitizer())->sanitize(self::form([
            'enabled' => '1', 'adaptive_limit' => '1', 'backoff_give_back' => '1', 'site_limit' => ' 3 ', 'provider_limits' => "openai = 2\r\nanthropic=0\n", 'tenant_limit' => '0',
            'throttle_delay' => '15', 'throttle_delay_max' => '600', 'lease_ttl' => '900', 'backend' => 'database',
            'ai_hooks' => "my_plugin_summarise\nother/hook-name",
        ]));
        self::assertSame([], self::errorCodes());
        self::assertSame([
            'other_setting' => 'kept', 'enabled' => true, 'adaptive_limit' => true, 'backoff_give_back' => true, 'site_limit' => 3, 'tenant_limit' => 0, 'throttle_delay' => 15,
            'throttle_delay_max' => 600, 'lease_ttl' => 900, 'provider_limits' => ['openai' => 2, 'anthropic' => 0],
            'backend' => 'database', 'ai_hooks' => ['my_plugin_summarise', 'other/hook-name'],
        ], $out);
        // WordPress may run the callback twice on one save: the second run changes nothing and reports nothing.
        self::assertSame($out, (new SettingsSanitizer())->sanitize($out));
        self::assertSame([], self::errorCodes());
    }

    public function testEmptyFieldsFallBackToTheDefaultsAndAnUncheckedBoxTurnsGatingOff(): void
    {
        update_option('sluice_settings', ['site_limit' => 4, 'enabled' => true]);
        $out = (new SettingsSanitizer())->sanitize(self::form(['site_limit' => '', 'provider_limits' => '', 'ai_hooks' => '']));
        self::assertSame(['enabled' => false, 'adaptive_limit' => false, 'backoff_give_back' => false], $out, 'every unchecked box is stored off');
    }

    public function testBadValuesAreReportedAndTheStoredOnesKept(): void
    {
        update_option('sluice_settings', ['site_limit' => 2, 'throttle_delay_max' => 60, 'provider_limits' => ['openai' => 1], 'ai_hooks' => ['a_hook'], 'backend' => 'native']);
        $sanitizer = new SettingsSanitizer();
        $out = $sanitizer->sanitize(self::form([
            'enabled' => '1', 'site_limit' => 'two', 'tenant_limit' => '-1', 'throttle_delay' => '30', 'throttle_delay_max' => '5',
            'lease_ttl' => '10', 'provider_limits' => 'openai: 2', 'backend' => 'memcached', 'ai_hooks' => 'bad"hook',
        ]));
        self::assertSame(['sluice_site_limit', 'sluice_tenant_limit', 'sluice_lease_ttl', 'sluice_throttle_delay_max', 'sluice_provider_limits', 'sluice_backend', 'sluice_ai_hooks'], self::errorCodes());
        self::assertSame(2, $out['site_limit']);
        self::assertArrayNotHasKey('tenant_limit', $out);
        self::assertSame(30, $out['throttle_delay'], 'the valid field of the pair is stored');
        self::assertSame(60, $out['throttle_delay_max'], 'the stored maximum is kept (it is not below the new delay)');
        self::assertSame(['openai' => 1], $out['provider_limits']);
        self::assertSame('native', $out['backend']);
        self::assertSame(['a_hook'], $out['ai_hooks']);
        self::assertTrue($out['enabled']);
    }

    public function testMessagesNameTheFieldAndWhatWasEntered(): void
    {
        $sanitizer = new SettingsSanitizer();
        $sanitizer->sanitize(self::form(['site_limit' => '0', 'throttle_delay' => '20', 'throttle_delay_max' => '10']));
        $messages = implode("\n", array_map(static fn (array $e): string => $e['message'], $sanitizer->errors()));
        self::assertStringContainsString('Site limit must be a whole number from 1 to 1000, not "0"', $messages);
        self::assertStringContainsString('The maximum throttle delay (10 s) must be at least the throttle delay (20 s)', $messages);
        $shown = implode("\n", array_map(static fn (array $e): string => (string) $e['message'], get_settings_errors('sluice_settings')));
        self::assertStringContainsString('not &quot;0&quot;', $shown, 'as HTML, escaped');
    }

    /**
     * settings_errors() prints each message as HTML, and the messages quote what was entered: a hostile value in
     * every kind of field comes back escaped, never as markup.
     */
    public function testSettingsErrorsShowWhatWasEnteredEscaped(): void
    {
        $hostile = '<img src=x onerror=alert(1)>';
        (new SettingsSanitizer())->sanitize(self::form([
            'site_limit' => $hostile, 'backend' => $hostile, 'ai_hooks' => $hostile,
        ]));
        (new SettingsSanitizer())->sanitize(self::form(['provider_limits' => $hostile]));
        (new SettingsSanitizer())->sanitize(self::form(['provider_limits' => $hostile . ' = 2']));
        ob_start();
        settings_errors('sluice_settings');
        $html = (string) ob_get_clean();
        self::assertSame(['sluice_site_limit', 'sluice_backend', 'sluice_ai_hooks', 'sluice_provider_limits', 'sluice_provider_limits'], self::errorCodes());
        self::assertStringNotContainsString('<img', $html, 'no markup from the input');
        self::assertStringContainsString('&lt;img src=x onerror=alert(1)&gt;', $html, 'the input, escaped');
    }

    public function testValuesFromCodePassThroughUnchanged(): void
    {
        $settings = ['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 2, 'enabled' => false, 'future_setting' => ['x' => 1]];
        $out = (new SettingsSanitizer())->sanitize($settings);
        ksort($settings);
        ksort($out);
        self::assertSame($settings, $out);
        self::assertSame([], self::errorCodes());
    }
}
