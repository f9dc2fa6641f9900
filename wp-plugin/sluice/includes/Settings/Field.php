<?php
/**
 * One setting of the option `sluice_settings`: its name, type, range,
 * default, title and help text, as Fields writes them once for the settings
 * page, the sanitizer, Config and `wp sluice config`.
 */

declare(strict_types=1);

namespace SluiceWP\Settings;

defined('ABSPATH') || exit;

final class Field
{
    /** A whole number within [min, max]; empty means the default. */
    public const INT = 'int';
    /** true or false. */
    public const BOOL = 'bool';
    /** One of the choices. */
    public const CHOICE = 'choice';
    /** provider slug => whole number within [min, max] (0 = no provider limit). */
    public const PROVIDER_LIMITS = 'provider_limits';
    /** A list of Action Scheduler hook names, at most max. */
    public const HOOKS = 'hooks';

    /**
     * @param self::INT|self::BOOL|self::CHOICE|self::PROVIDER_LIMITS|self::HOOKS $type
     * @param int|bool|string|array<mixed> $default Sluice's own default (another plugin's setting may come first: Config)
     * @param array<string, string> $choices value => label, for a choice
     */
    public function __construct(
        public readonly string $name,
        public readonly string $type,
        public readonly string $title,
        public readonly int|bool|string|array $default,
        public readonly string $help,
        public readonly int $min = 0,
        public readonly int $max = 0,
        public readonly array $choices = [],
        /** The unit a number is shown with (' s'), '' for none. */
        public readonly string $unit = '',
        /** Shown and saved by the settings page (else set from code or `wp sluice config set`). */
        public readonly bool $onSettingsPage = true,
    ) {
    }
}
