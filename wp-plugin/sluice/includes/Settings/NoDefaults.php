<?php
/** Defaults when no other plugin configured any (Data Machine inactive). */

declare(strict_types=1);

namespace SluiceWP\Settings;

defined('ABSPATH') || exit;

final class NoDefaults implements Defaults
{
    public function siteLimit(): ?int
    {
        return null;
    }

    public function providerLimit(string $provider): ?int
    {
        return null;
    }

    public function throttleDelay(): ?int
    {
        return null;
    }

    public function requestTimeout(): ?int
    {
        return null;
    }
}
