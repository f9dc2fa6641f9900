<?php
/**
 * Numbers another plugin already configured, used as Sluice's defaults so a
 * configured site keeps them (Data Machine's adapter is the one source). Null
 * means "not configured there".
 */

declare(strict_types=1);

namespace SluiceWP\Settings;

defined('ABSPATH') || exit;

interface Defaults
{
    public function siteLimit(): ?int;

    public function providerLimit(string $provider): ?int;

    public function throttleDelay(): ?int;

    public function requestTimeout(): ?int;
}
