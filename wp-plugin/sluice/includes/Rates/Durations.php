<?php
/**
 * The time formats of providers' rate-limit headers, read strictly: a
 * malformed value is null (the caller ignores the header and logs it), never
 * a guess. Go durations as OpenAI and Azure send them ("12ms", "6s",
 * "1m3s", "2.5s", "1h0m0s"), RFC 3339 instants as Anthropic sends them
 * ("2026-12-06T18:00:30Z"), and retry-after's seconds or HTTP date.
 */

declare(strict_types=1);

namespace SluiceWP\Rates;

defined('ABSPATH') || exit;

final class Durations
{
    private const UNIT_MS = ['h' => 3_600_000.0, 'm' => 60_000.0, 's' => 1000.0, 'ms' => 1.0, 'us' => 0.001, 'µs' => 0.001, 'ns' => 0.000001];
    /** Nothing a provider says is waited for longer than a day. */
    private const MAX_MS = 86_400_000;

    /** A Go duration ("1m3s", "12ms", "0.5s") in milliseconds, or null when malformed. */
    public static function goDuration(string $text): ?int
    {
        $text = trim($text);
        if ($text === '0') {
            return 0;
        }
        if ($text === '' || preg_match('/^(?:\d+(?:\.\d+)?(?:h|ms|us|µs|ns|m|s))+$/u', $text) !== 1) {
            return null;
        }
        preg_match_all('/(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/u', $text, $parts, PREG_SET_ORDER);
        $ms = 0.0;
        foreach ($parts as [, $number, $unit]) {
            $ms += (float) $number * self::UNIT_MS[$unit];
        }
        return self::bounded($ms);
    }

    /** Milliseconds from $nowMs until an RFC 3339 instant (0 when past), or null when malformed. */
    public static function untilInstant(string $text, int $nowMs): ?int
    {
        $text = trim($text);
        if (preg_match('/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/', $text) !== 1) {
            return null;
        }
        $at = \DateTimeImmutable::createFromFormat('Y-m-d\TH:i:s.uP', self::normalised($text));
        if ($at === false) {
            return null;
        }
        return self::bounded(max(0.0, (float) $at->format('U.u') * 1000 - $nowMs));
    }

    /** retry-after: delay seconds ("30", "1.5") or an HTTP date, in ms from $nowMs; null when malformed. */
    public static function retryAfter(string $text, int $nowMs): ?int
    {
        $text = trim($text);
        if (preg_match('/^\d+(?:\.\d+)?$/', $text) === 1) {
            return self::bounded((float) $text * 1000);
        }
        $at = \DateTimeImmutable::createFromFormat('D, d M Y H:i:s \G\M\T', $text, new \DateTimeZone('UTC'));
        return $at === false ? null : self::bounded(max(0.0, (float) $at->getTimestamp() * 1000 - $nowMs));
    }

    /** Whole non-negative numbers only ("30", not "30 requests" or "-1"); null otherwise. */
    public static function count(string $text): ?int
    {
        $text = trim($text);
        return preg_match('/^\d{1,15}$/', $text) === 1 ? (int) $text : null;
    }

    /** "2026-12-06T18:00:30Z" / "...30.5+01:00" as Y-m-d\TH:i:s.uP reads it. */
    private static function normalised(string $text): string
    {
        $text = strtoupper(str_replace(' ', 'T', $text));
        $text = str_ends_with($text, 'Z') ? substr($text, 0, -1) . '+00:00' : $text;
        if (!str_contains(substr($text, 0, 20), '.')) {
            $text = substr($text, 0, 19) . '.0' . substr($text, 19);
        }
        return (string) preg_replace('/\.(\d{1,6})\d*/', '.$1', $text);
    }

    private static function bounded(float $ms): int
    {
        return (int) min(self::MAX_MS, max(0.0, round($ms)));
    }
}
