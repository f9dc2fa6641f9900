<?php
/**
 * The operators' side of a backend: what every key holds (typed, not the
 * extension's raw arrays) and the two repairs an operator may need.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

interface OperatorView
{
    /** @return array<string, KeyStatus> by key name */
    public function keys(): array;

    /** Releases a lease by its token (a stuck holder); false if it was not held. */
    public function releaseToken(string $token): bool;

    /** Drops every lease of a key; returns how many. */
    public function reset(string $key): int;

    /** Reclaims every dead or expired lease now; returns how many. */
    public function sweep(): int;
}
