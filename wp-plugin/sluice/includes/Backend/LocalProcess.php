<?php
/**
 * Who owns a lease of the database backend, and whether an owner on this host
 * is still alive: host + pid + process start time (field 22 of
 * /proc/PID/stat), never the pid alone, because pids are reused. The host id
 * also covers the boot and the pid namespace: a lease is checked for
 * liveness only by processes that see the same pids (another host, another
 * container, a reboot: the TTL decides).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class LocalProcess
{
    private static ?self $current = null;

    private function __construct(
        /** The host name, shown to operators. */
        public readonly string $host,
        /** Host name + boot + pid namespace, hashed; '' where /proc is unreadable (liveness then unknown). */
        public readonly string $hostId,
        public readonly int $pid,
        /** Clock ticks after boot (field 22 of /proc/PID/stat); 0 when unknown. */
        public readonly int $startTime,
    ) {
    }

    /** This process (recomputed after a fork). */
    public static function current(): self
    {
        $pid = function_exists('posix_getpid') ? posix_getpid() : (int) getmypid();
        if (self::$current === null || self::$current->pid !== $pid) {
            $host = (string) gethostname();
            $start = self::stat($pid)['start'] ?? 0;
            $hostId = '';
            $bootId = @file_get_contents('/proc/sys/kernel/random/boot_id');
            $pidNamespace = @readlink('/proc/self/ns/pid');
            if ($start > 0 && $bootId !== false && $pidNamespace !== false) {
                $hostId = substr(md5($host . '|' . trim($bootId) . '|' . $pidNamespace), 0, 16);
            }
            self::$current = new self(substr($host, 0, 64), $hostId, $pid, $start);
        }
        return self::$current;
    }

    /**
     * True only when the owner is on this host (same host id) and certainly
     * gone: no such process, a zombie, or another process that reuses its pid.
     */
    public function ownerIsDead(string $hostId, int $pid, int $startTime): bool
    {
        if ($this->hostId === '' || $hostId !== $this->hostId || $pid <= 0) {
            return false;
        }
        $stat = self::stat($pid);
        if ($stat === null) {
            // Unreadable: gone, unless /proc hides other users' processes (hidepid) and it still runs.
            if (function_exists('posix_kill') && function_exists('posix_get_last_error')) {
                return !posix_kill($pid, 0) && posix_get_last_error() !== 1; // 1 = EPERM: it exists
            }
            return !is_dir('/proc/' . $pid);
        }
        return $stat['state'] === 'Z' || $stat['state'] === 'X' || $stat['start'] !== $startTime;
    }

    /** @return array{state: string, start: int}|null fields 3 and 22 of /proc/PID/stat */
    private static function stat(int $pid): ?array
    {
        $line = @file_get_contents('/proc/' . $pid . '/stat');
        if ($line === false) {
            return null;
        }
        // Field 2 is "(comm)" and comm may hold spaces and parentheses: count from the last ')'.
        $close = strrpos($line, ')');
        if ($close === false) {
            return null;
        }
        $fields = explode(' ', trim(substr($line, $close + 2)));
        if (count($fields) < 20) {
            return null;
        }
        return ['state' => $fields[0], 'start' => (int) $fields[19]];
    }
}
