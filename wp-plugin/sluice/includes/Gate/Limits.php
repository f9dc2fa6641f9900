<?php
/**
 * The numbers the gate works with, as Settings resolves them (options, Data
 * Machine's settings as defaults, then Sluice's filters).
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

interface Limits
{
    /** AI steps of this site at once (>= 1). */
    public function siteLimit(): int;

    /** Requests at once to this provider (0 = no provider limit). */
    public function providerLimit(string $provider): int;

    /** AI steps of one tenant (a flow) at once (0 = no tenant cap). */
    public function tenantLimit(string $tenant): int;

    /** True when the provider's key is shared by every site of the host (one API account). */
    public function providerKeyIsHostWide(string $provider): bool;

    /** Requests at once to this provider from every site of the host, when its key is host-wide (0 = none). */
    public function hostWideProviderLimit(string $provider): int;

    /** Seconds a lease lives unless renewed; never shorter than a provider request may take. */
    public function leaseTtl(): int;

    /** Seconds a provider request may take (the drain of a dead holder's slot). */
    public function requestTimeout(): int;

    /** The first deferral's delay in seconds. */
    public function throttleDelay(): int;

    /** The longest delay a deferral gets. */
    public function throttleDelayMax(): int;
}
