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
    private const LOCK_WAIT_SECONDS = 5;

    /**
     * Every process that runs ungated when the store fails counts here, often
     * at the same moment (the store failed for all of them): the count is
     * read fresh from the table and written under a named lock, so no
     * increment is lost to a concurrent writer or to a long-lived runner's
     * cached copy of the option.
     */
    public function ranUngated(int $actionId, string $error): void
    {
        global $wpdb;
        $lock = $wpdb->prefix . self::OPTION;
        if ((int) $wpdb->get_var($wpdb->prepare('SELECT GET_LOCK(%s, %d)', $lock, self::LOCK_WAIT_SECONDS)) !== 1) {
            throw new \RuntimeException('could not take the lock ' . $lock . ' to count an ungated action: ' . $wpdb->last_error);
        }
        try {
            $stored = maybe_unserialize((string) $wpdb->get_var($wpdb->prepare(
                "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s",
                self::OPTION,
            )));
            $now = self::fromStored($stored);
            wp_cache_delete(self::OPTION, 'options');
            wp_cache_delete('alloptions', 'options'); // autoloaded: a cached copy would hide the fresh value from update_option
            update_option(self::OPTION, [
                'count' => $now->count + 1,
                'first_at' => $now->firstAt > 0 ? $now->firstAt : time(),
                'last_at' => time(),
                'last_error' => mb_strcut($error, 0, 1000, 'UTF-8'),
                'last_action' => $actionId,
            ], true);
        } finally {
            $wpdb->query($wpdb->prepare('SELECT RELEASE_LOCK(%s)', $lock));
        }
    }

    public function read(): UngatedCount
    {
        return self::fromStored(get_option(self::OPTION, []));
    }

    private static function fromStored(mixed $stored): UngatedCount
    {
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
