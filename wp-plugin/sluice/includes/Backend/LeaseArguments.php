<?php
/**
 * The checks every lease store that keeps its own records applies to what
 * it is asked for (the keys and limits, the TTL, the label), with errors
 * that name the bad value: the same bounds as the database backend's.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class LeaseArguments
{
    public const MAX_KEYS = 4;
    public const MAX_KEY_BYTES = 64;
    public const MAX_LIMIT = 1024;
    public const MAX_LABEL_BYTES = 96;
    public const MAX_TTL_SECONDS = 365 * 86400;
    public const MAX_REQUEST_SECONDS = 86400;
    /** What a ttl of 0 means (as sluice.default_ttl for the extension). */
    public const DEFAULT_TTL_SECONDS = 600;

    /**
     * @param array<mixed> $limits key => limit
     * @throws \ValueError naming the key or limit that is out of bounds
     */
    public static function checkLimits(array $limits): void
    {
        if ($limits === [] || count($limits) > self::MAX_KEYS) {
            throw new \ValueError('a lease takes 1 to ' . self::MAX_KEYS . ' keys, ' . count($limits) . ' given');
        }
        foreach ($limits as $key => $limit) {
            $key = (string) $key;
            if ($key === '' || strlen($key) > self::MAX_KEY_BYTES || str_contains($key, "\n")) {
                throw new \ValueError('a key is 1 to ' . self::MAX_KEY_BYTES . " bytes without line breaks, \"{$key}\" is not");
            }
            if (!is_int($limit) || $limit < 1 || $limit > self::MAX_LIMIT) {
                throw new \ValueError('a limit is 1 to ' . self::MAX_LIMIT . ', not ' . var_export($limit, true) . " for key \"{$key}\"");
            }
        }
    }

    /**
     * A key record's write (RecordStore::writeRecord()): a key as for a lease, a version of 0 or more,
     * at most RecordStore::MAX_RECORD_BYTES of data, a cap from NO_HAND_OFF to MAX_LIMIT.
     *
     * @throws \ValueError naming what is out of bounds
     */
    public static function checkRecord(string $key, int $version, string $data, ?int $cap = null): void
    {
        if ($cap !== null && ($cap < RecordStore::NO_HAND_OFF || $cap > self::MAX_LIMIT)) {
            throw new \ValueError('a key\'s cap is ' . RecordStore::NO_HAND_OFF . ' (no hand-off), 0 (none) or a limit up to ' . self::MAX_LIMIT . ", not {$cap}");
        }
        self::checkLimits([$key => 1]);
        if ($version < 0) {
            throw new \ValueError("a record's version is 0 or more, not {$version}");
        }
        if (strlen($data) > RecordStore::MAX_RECORD_BYTES) {
            throw new \ValueError('a key record holds at most ' . RecordStore::MAX_RECORD_BYTES . ' bytes, not ' . strlen($data));
        }
    }

    /** @throws \ValueError when out of bounds */
    public static function ttlSeconds(int $ttl): int
    {
        if ($ttl < 0 || $ttl > self::MAX_TTL_SECONDS) {
            throw new \ValueError('a ttl is 0 (the default, ' . self::DEFAULT_TTL_SECONDS . ' s) to ' . self::MAX_TTL_SECONDS . " seconds, not {$ttl}");
        }
        return $ttl === 0 ? self::DEFAULT_TTL_SECONDS : $ttl;
    }

    /** @throws \ValueError when out of bounds */
    public static function requestSeconds(int $maxSeconds): int
    {
        if ($maxSeconds < 1 || $maxSeconds > self::MAX_REQUEST_SECONDS) {
            throw new \ValueError('a provider request may be open 1 to ' . self::MAX_REQUEST_SECONDS . " seconds, not $maxSeconds");
        }
        return $maxSeconds;
    }

    /** @throws \ValueError when not an action id */
    public static function ref(int $ref): int
    {
        if ($ref < 1) {
            throw new \ValueError("a ref is an action id of at least 1, not {$ref}");
        }
        return $ref;
    }

    /** @throws \ValueError when out of bounds */
    public static function weight(int $weight): int
    {
        if ($weight < 1 || $weight > 100) {
            throw new \ValueError("a weight is 1 to 100, not {$weight}");
        }
        return $weight;
    }

    /** At most MAX_LABEL_BYTES of valid UTF-8. */
    public static function label(string $label): string
    {
        $label = mb_scrub($label, 'UTF-8');
        return strlen($label) <= self::MAX_LABEL_BYTES ? $label : mb_strcut($label, 0, self::MAX_LABEL_BYTES, 'UTF-8');
    }

    /** A tenant name as the line keeps it: at most 64 bytes of valid UTF-8. */
    public static function tenant(string $tenant): string
    {
        return mb_strcut(mb_scrub($tenant, 'UTF-8'), 0, 64, 'UTF-8');
    }

    /** A lease or ticket token: 32 lowercase hex digits. */
    public static function isToken(string $token): bool
    {
        return strlen($token) === 32 && ctype_xdigit($token) && strtolower($token) === $token;
    }
}
