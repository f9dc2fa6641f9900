<?php
/**
 * Picks the lease store for this request from the setting `backend`
 * (Settings\Config::backend()): "native" (the extension's shared segment),
 * "database" (DatabaseBackend: the site's database, one limit for every host
 * that shares it), or "auto": native when the extension is loaded, else
 * database. Auto never falls back to the database while the extension is
 * loaded but unusable: processes of one host would then split across two
 * stores, each with the whole limit. A site can hand in another store through
 * the filter `sluice_backend` (Backend|null $backend, string $preference).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

final class BackendChoice
{
    public const PREFERENCES = ['auto', 'native', 'database'];

    private ?Backend $backend = null;
    private ?string $unavailable = null;
    private bool $picked = false;

    /** @param string $preference auto|native|database (anything else reads as auto) */
    public function __construct(private readonly string $preference = 'auto')
    {
    }

    /** The backend to use, or null when none is usable (see unavailableReason()). */
    public function backend(): ?Backend
    {
        if (!$this->picked) {
            $this->picked = true;
            $candidate = apply_filters('sluice_backend', $this->candidate(), $this->preference());
            if (!$candidate instanceof Backend) {
                $this->unavailable = 'the sluice_backend filter returned no backend';
            } else {
                $this->unavailable = $candidate->unavailableReason();
                $this->backend = $this->unavailable === null ? $candidate : null;
            }
        }
        return $this->backend;
    }

    /** Why no backend is usable; null when one is. */
    public function unavailableReason(): ?string
    {
        $this->backend();
        return $this->unavailable;
    }

    /** The setting as this choice read it: auto, native or database. */
    public function preference(): string
    {
        return in_array($this->preference, self::PREFERENCES, true) ? $this->preference : 'auto';
    }

    /** True when "auto" chose the database because the extension is not loaded (the admin notice says so). */
    public function fellBackToDatabase(): bool
    {
        return $this->preference() === 'auto' && $this->backend()?->name() === 'database';
    }

    private function candidate(): Backend
    {
        return match ($this->preference()) {
            'native' => new NativeBackend(),
            'database' => new DatabaseBackend(),
            default => extension_loaded('sluice') ? new NativeBackend() : new DatabaseBackend(),
        };
    }
}
