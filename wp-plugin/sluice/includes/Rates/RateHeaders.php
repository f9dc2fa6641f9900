<?php
/**
 * Reads a provider response's rate-limit headers, as the providers send them:
 * - OpenAI (and OpenAI-compatible APIs): x-ratelimit-limit-requests,
 *   x-ratelimit-remaining-requests, x-ratelimit-reset-requests and the same
 *   for -tokens; the reset is a Go duration until the budget is whole again
 *   ("12ms", "6s", "1m3s").
 * - Azure OpenAI: the same names (remaining only, often); its -1 (and a
 *   remaining of 0 with neither a limit nor a reset) means "unknown".
 * - Anthropic: anthropic-ratelimit-requests-limit, -remaining, -reset and the
 *   same for -tokens (its -input-tokens / -output-tokens when it sends no
 *   total); the reset is an RFC 3339 instant.
 * - retry-after (seconds or an HTTP date) and retry-after-ms, from anyone.
 * A malformed value is left out and named in RateReading::$ignored (the
 * caller logs it); nothing here throws.
 */

declare(strict_types=1);

namespace SluiceWP\Rates;

defined('ABSPATH') || exit;

final class RateHeaders
{
    /**
     * @param iterable<mixed, mixed> $headers name => value (any case; a list of values: the last one)
     * @param int                    $nowMs   unix ms now (Anthropic's resets are instants)
     */
    public static function read(iterable $headers, int $nowMs): RateReading
    {
        $h = [];
        foreach ($headers as $name => $value) {
            $value = is_array($value) ? end($value) : $value;
            if (is_scalar($value)) {
                $h[strtolower((string) $name)] = (string) $value;
            }
        }
        $ignored = [];
        $requests = self::openAi($h, 'requests', $ignored) ?? self::anthropic($h, ['requests'], $nowMs, $ignored);
        $tokens = self::openAi($h, 'tokens', $ignored) ?? self::anthropic($h, ['tokens', 'input-tokens'], $nowMs, $ignored);
        $retry = null;
        if (isset($h['retry-after-ms'])) {
            $retry = self::checked(Durations::count($h['retry-after-ms']), $ignored, 'retry-after-ms', $h['retry-after-ms']);
        }
        if ($retry === null && isset($h['retry-after'])) {
            $retry = self::checked(Durations::retryAfter($h['retry-after'], $nowMs), $ignored, 'retry-after', $h['retry-after']);
        }
        return new RateReading($requests, $tokens, $retry, $ignored);
    }

    /**
     * @param array<string, string> $h
     * @param list<string>          $ignored
     */
    private static function openAi(array $h, string $what, array &$ignored): ?BudgetReading
    {
        $limit = self::number($h, "x-ratelimit-limit-{$what}", $ignored);
        $remaining = self::number($h, "x-ratelimit-remaining-{$what}", $ignored);
        $reset = null;
        if (isset($h["x-ratelimit-reset-{$what}"])) {
            $reset = self::checked(Durations::goDuration($h["x-ratelimit-reset-{$what}"]), $ignored, "x-ratelimit-reset-{$what}", $h["x-ratelimit-reset-{$what}"]);
        }
        // Azure's "unknown": a limit of 0 or -1, a remaining of -1, or a remaining of 0 that nothing else backs.
        if ($limit !== null && $limit <= 0) {
            $limit = null;
        }
        if ($remaining !== null && ($remaining < 0 || ($remaining === 0 && $limit === null && $reset === null))) {
            $remaining = null;
        }
        $reading = new BudgetReading($limit, $remaining, $reset);
        return $reading->isEmpty() ? null : $reading;
    }

    /**
     * @param array<string, string> $h
     * @param list<string>          $names the budget's names, the first one present wins
     * @param list<string>          $ignored
     */
    private static function anthropic(array $h, array $names, int $nowMs, array &$ignored): ?BudgetReading
    {
        foreach ($names as $what) {
            $prefix = "anthropic-ratelimit-{$what}-";
            if (!isset($h[$prefix . 'limit']) && !isset($h[$prefix . 'remaining']) && !isset($h[$prefix . 'reset'])) {
                continue;
            }
            $limit = self::number($h, $prefix . 'limit', $ignored);
            $remaining = self::number($h, $prefix . 'remaining', $ignored);
            $reset = null;
            if (isset($h[$prefix . 'reset'])) {
                $reset = self::checked(Durations::untilInstant($h[$prefix . 'reset'], $nowMs), $ignored, $prefix . 'reset', $h[$prefix . 'reset']);
            }
            $reading = new BudgetReading($limit !== null && $limit > 0 ? $limit : null, $remaining !== null && $remaining >= 0 ? $remaining : null, $reset);
            return $reading->isEmpty() ? null : $reading;
        }
        return null;
    }

    /**
     * A whole number (-1 allowed: Azure's "unknown"), or null when absent or malformed.
     *
     * @param array<string, string> $h
     * @param list<string>          $ignored
     */
    private static function number(array $h, string $name, array &$ignored): ?int
    {
        if (!isset($h[$name])) {
            return null;
        }
        $text = trim($h[$name]);
        if ($text === '-1') {
            return -1;
        }
        return self::checked(Durations::count($text), $ignored, $name, $h[$name]);
    }

    /**
     * The value read, or, when it was malformed (null), the header named in $ignored.
     *
     * @param list<string> $ignored
     */
    private static function checked(?int $read, array &$ignored, string $name, string $raw): ?int
    {
        if ($read === null) {
            $ignored[] = $name . ': ' . substr($raw, 0, 80);
        }
        return $read;
    }
}
