<?php
/**
 * Picks the backend: the native extension by default. Another plugin (or a
 * later database backend) can supply its own through `sluice_backend`.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

final class BackendFactory
{
    public static function create(): Backend
    {
        $backend = apply_filters('sluice_backend', null);
        return $backend instanceof Backend ? $backend : new NativeBackend();
    }
}
