<?php
/**
 * Picks the lease store for this request: the native backend when the
 * extension is loaded and its segment usable. A site can hand in another
 * store through the filter `sluice_backend` (Backend|null $backend).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

final class BackendChoice
{
    private ?Backend $backend = null;
    private ?string $unavailable = null;
    private bool $picked = false;

    /** The backend to use, or null when none is usable (see unavailableReason()). */
    public function backend(): ?Backend
    {
        if (!$this->picked) {
            $this->picked = true;
            $candidate = apply_filters('sluice_backend', new NativeBackend());
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
}
