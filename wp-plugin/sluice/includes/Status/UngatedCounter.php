<?php
/**
 * Counts the actions that ran ungated because the lease store failed, with
 * the last error and when, in the autoloaded option `sluice_ungated`
 * (written only on that error path). Health is degraded while the last one
 * is less than DEGRADED_FOR_SECONDS old; the count stays until reset().
 */

declare(strict_types=1);

namespace SluiceWP\Status;

use SluiceWP\Gate\UngatedRuns;

defined('ABSPATH') || exit;

final class UngatedCounter implements UngatedRuns
{
    public const OPTION = 'sluice_ungated';
    public const DEGRADED_FOR_SECONDS = 3600;

    public function ranUngated(int $actionId, string $error): void
    {
        $now = $this->read();
        update_option(self::OPTION, [
            'count' => $now->count + 1,
            'first_at' => $now->firstAt > 0 ? $now->firstAt : time(),
            'last_at' => time(),
            'last_error' => mb_strcut($error, 0, 1000, 'UTF-8'),
            'last_action' => $actionId,
        ], true);
    }

    public function read(): UngatedCount
    {
        $stored = get_option(self::OPTION, []);
        $stored = is_array($stored) ? $stored : [];
        return new UngatedCount(
            (int) ($stored['count'] ?? 0),
            (int) ($stored['first_at'] ?? 0),
            (int) ($stored['last_at'] ?? 0),
            (string) ($stored['last_error'] ?? ''),
            (int) ($stored['last_action'] ?? 0),
        );
    }

    public function reset(): void
    {
        delete_option(self::OPTION);
    }
}
