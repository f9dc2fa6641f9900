<?php
declare(strict_types=1);

namespace Sluice\WpTests\Admin;

use PHPUnit\Framework\TestCase;
use SluiceWP\Settings\Field;
use SluiceWP\Settings\Fields;

/**
 * Settings\Fields writes each setting once; readme.txt's list of settings
 * must say the same: every setting and no other, with its range and default.
 */
final class SettingsFieldsTest extends TestCase
{
    public function testReadmeListsEverySettingWithItsRangeAndDefault(): void
    {
        $readme = (string) file_get_contents(WP_PLUGIN_DIR . '/sluice/readme.txt');
        $start = strpos($readme, 'Settings live in the option `sluice_settings`');
        self::assertNotFalse($start, 'readme.txt has the list of settings');
        $list = (int) strpos($readme, "\n* `", $start);
        $section = substr($readme, $list, (int) strpos($readme, "\n\n", $list) - $list);
        preg_match_all('/^\* `([a-z_]+)` \(([^)]*)\)/m', $section, $m, PREG_SET_ORDER);
        $listed = [];
        foreach ($m as [, $name, $facts]) {
            $listed[$name] = $facts;
        }
        self::assertSame(Fields::names(), array_keys($listed), 'readme.txt lists every setting, in the settings\' order');
        foreach (Fields::all() as $name => $field) {
            $facts = $listed[$name];
            $default = match (true) {
                is_bool($field->default) => $field->default ? 'true' : 'false',
                is_array($field->default) => 'none',
                default => (string) $field->default,
            };
            self::assertStringContainsString('default ' . $default, $facts, "$name: its default");
            if ($field->type === Field::INT || $field->type === Field::PROVIDER_LIMITS) {
                self::assertStringContainsString($field->min . '-' . $field->max, $facts, "$name: its range");
            }
            if ($field->type === Field::CHOICE) {
                self::assertStringContainsString(implode('|', array_keys($field->choices)), $facts, "$name: its choices");
            }
            if ($field->type === Field::HOOKS) {
                self::assertStringContainsString('up to ' . $field->max, $facts, "$name: how many");
            }
        }
    }
}
