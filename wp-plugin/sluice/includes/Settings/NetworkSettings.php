<?php
/**
 * The network's own Sluice settings (network option `sluice_network_settings`,
 * set in Network Admin > Sluice > Settings or with `wp sluice config set
 * provider_limits ... --network`): the limits of host-wide provider keys.
 * A provider key made host-wide (filter sluice_provider_key_host_wide) is
 * shared by every blog, so its limit is the network's, not the highest a
 * blog asked for; a blog's own provider limit may only lower that blog's
 * own use of it (Gate\KeyNames::limitsFor). On a single site the site's own
 * provider limit is the host-wide key's.
 */

declare(strict_types=1);

namespace SluiceWP\Settings;

defined('ABSPATH') || exit;

final class NetworkSettings
{
    public const OPTION = 'sluice_network_settings';

    /** @return array<string, int> provider slug => the limit of its host-wide key (0 = none) */
    public static function providerLimits(): array
    {
        $settings = get_site_option(self::OPTION, []);
        $limits = is_array($settings) && is_array($settings[Fields::PROVIDER_LIMITS] ?? null) ? $settings[Fields::PROVIDER_LIMITS] : [];
        $out = [];
        foreach ($limits as $provider => $limit) {
            $out[(string) $provider] = max(0, (int) $limit);
        }
        return $out;
    }

    /**
     * Stores the host-wide provider limits, checked as the blog setting's are (Sanitizer).
     *
     * @return list<string> what was wrong (nothing stored then); [] when stored
     */
    public static function setProviderLimits(mixed $raw): array
    {
        $sanitizer = new Sanitizer();
        $field = Fields::get(Fields::PROVIDER_LIMITS);
        $limits = $field !== null ? $sanitizer->checkProviderLimits($raw, $field->max) : null;
        if ($limits === null) {
            return array_map(static fn (array $e): string => $e['message'], $sanitizer->errors());
        }
        $settings = get_site_option(self::OPTION, []);
        $settings = is_array($settings) ? $settings : [];
        $settings[Fields::PROVIDER_LIMITS] = $limits;
        update_site_option(self::OPTION, $settings);
        return [];
    }
}
