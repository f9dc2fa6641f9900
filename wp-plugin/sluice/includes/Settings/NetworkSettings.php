<?php
/**
 * The network's own Sluice settings (network option `sluice_network_settings`,
 * set in Network Admin > Sluice > Settings or with `wp sluice config set
 * <name> <value> --network`), checked as a blog's settings are (Sanitizer):
 *
 * - the limits of host-wide provider keys (provider_limits). A provider key
 *   made host-wide (filter sluice_provider_key_host_wide) is shared by every
 *   blog, so its limit is the network's, not the highest a blog asked for; a
 *   blog's own provider limit may only lower that blog's own use of it
 *   (Gate\KeyNames::limitsFor). On a single site the site's own provider
 *   limit is the host-wide key's.
 * - whether and through which store every blog's steps are gated
 *   (Fields::GATING: enabled, backend, redis_fallback, waiting_line): a
 *   blog that could switch gating or the line off would skip the shared keys,
 *   and one with a store of its own would be granted their whole limit again.
 * - how provider keys are protected (Fields::PROVIDER_PROTECTION:
 *   adaptive_limit, adaptive_decrease, breaker_*, backoff_give_back,
 *   direct_call_wait, mode_limits, exempt_modes): the adaptive limit and the
 *   circuit breaker live in the record of a key every blog sharing it writes,
 *   so one blog's looser rules (no breaker, a gentle decrease, no give-back)
 *   would act on the others' provider too.
 * - the rate budgets (Fields::RATE_BUDGETS: rpm_limits, tpm_limits,
 *   qps_limit): a host-wide provider key's buckets and the host's
 *   steps-per-second bucket are spent by every blog, and each acquire sets
 *   its bucket's rate, so one blog's looser budget would spend the others'.
 *   Until the network sets one of these (Fields::NETWORK_WIDE), the main site's stored value applies
 *   (where a network upgraded from a version with per-blog values had it), then
 *   the default.
 */

declare(strict_types=1);

namespace SluiceWP\Settings;

use SluiceWP\Backend\Capacity;

defined('ABSPATH') || exit;

final class NetworkSettings
{
    public const OPTION = 'sluice_network_settings';
    /** The settings the network holds. */
    public const FIELDS = [...Fields::NETWORK_WIDE, Fields::PROVIDER_LIMITS];

    /**
     * What the network stored, by setting name; for a NETWORK_WIDE setting it has not set, the main site's.
     *
     * @return array<string, mixed>
     */
    public static function stored(): array
    {
        $settings = self::own();
        $unset = array_diff_key(array_flip(Fields::NETWORK_WIDE), $settings);
        if ($unset !== [] && is_multisite()) {
            $main = get_blog_option(get_main_site_id(), Fields::OPTION, []);
            $settings += array_intersect_key(is_array($main) ? $main : [], $unset);
        }
        return $settings;
    }

    /** @return array<string, int> provider slug => the limit of its host-wide key (0 = none) */
    public static function providerLimits(): array
    {
        $limits = self::own()[Fields::PROVIDER_LIMITS] ?? [];
        $out = [];
        foreach (is_array($limits) ? $limits : [] as $provider => $limit) {
            $out[(string) $provider] = max(0, (int) $limit);
        }
        return $out;
    }

    /**
     * Stores the network's settings: $input by name (with Sanitizer::FORM_MARKER: the network settings page's
     * form, every setting it shows), checked as a blog's are.
     *
     * @param array<string, mixed> $input
     * @return list<string> what was wrong (nothing stored then); [] when stored
     */
    public static function update(array $input, ?Capacity $capacity = null): array
    {
        $sanitizer = new Sanitizer($capacity);
        $own = self::own();
        $settings = $sanitizer->sanitizeNetwork(array_key_exists(Sanitizer::FORM_MARKER, $input) ? $input : $input + $own, $own);
        if ($sanitizer->errors() !== []) {
            return array_column($sanitizer->errors(), 'message');
        }
        update_site_option(self::OPTION, $settings);
        return [];
    }

    /** @return array<string, mixed> the network option as stored */
    private static function own(): array
    {
        $settings = get_site_option(self::OPTION, []);
        return is_array($settings) ? array_intersect_key($settings, array_flip(self::FIELDS)) : [];
    }
}
