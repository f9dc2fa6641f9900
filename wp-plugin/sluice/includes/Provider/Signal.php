<?php
/**
 * What one provider response says about the provider's capacity, as
 * SignalClassifier reads it from WordPress's HTTP API (or Data Machine's
 * Agents API retry announcement): a success, a congestion signal that lowers
 * the adaptive limit, and among those the failures the circuit breaker
 * counts (the provider looks down: transport errors and 5xx, not 429, not a
 * slow answer).
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

enum Signal: string
{
    /** A 2xx answer in normal time. */
    case Success = 'success';
    /** A 2xx answer well above the key's recent latency baseline. */
    case Slow = 'latency';
    /** cURL 28: the request or the connect timed out. */
    case Timeout = 'timeout';
    /** Any other transport error: connection refused or reset, DNS, TLS. */
    case Transport = 'transport';
    /** HTTP 429 Too Many Requests. */
    case RateLimited = '429';
    /** HTTP 503 Service Unavailable. */
    case Unavailable = '503';
    /** HTTP 529 Overloaded (Anthropic). */
    case Overloaded = '529';
    /** Any other 5xx. */
    case ServerError = '5xx';
    /** Says nothing about capacity (a 4xx such as a bad request or a wrong key). */
    case Neutral = 'none';

    /** A congestion signal: the adaptive limit comes down. */
    public function isCongestion(): bool
    {
        return $this !== self::Success && $this !== self::Neutral;
    }

    /** A failure the circuit breaker counts: the provider looks down. */
    public function isFailure(): bool
    {
        return in_array($this, [self::Timeout, self::Transport, self::Unavailable, self::Overloaded, self::ServerError], true);
    }

    /** The provider answered (whatever it said), so it is up. */
    public function providerAnswered(): bool
    {
        return $this === self::Success || $this === self::Slow;
    }

    /** One byte in the stored record. */
    public function code(): int
    {
        return match ($this) {
            self::Success => 1, self::Slow => 2, self::Timeout => 3, self::Transport => 4, self::RateLimited => 5,
            self::Unavailable => 6, self::Overloaded => 7, self::ServerError => 8, self::Neutral => 9,
        };
    }

    public static function fromCode(int $code): ?self
    {
        foreach (self::cases() as $case) {
            if ($case->code() === $code) {
                return $case;
            }
        }
        return null;
    }
}
