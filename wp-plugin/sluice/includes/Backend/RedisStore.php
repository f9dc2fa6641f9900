<?php
/**
 * One install's Sluice records in Redis, and what every script is told
 * besides its own arguments: the install's key prefix, the line's
 * tunables, and how far an empty store may be trusted.
 *
 * A Redis restarted without persistence (or flushed) has forgotten every
 * lease while their holders still run: trusting the empty store would let
 * the provider see twice the limit. Each script therefore looks at the
 * store's epoch (a random id written when the store is empty); when it has
 * to write a new one and this install has used Redis before (its last
 * epoch is kept in the site option sluice_redis_epoch, in the database
 * every host shares), no admission is made for the drain time (the
 * provider request timeout) and the holders that renew meanwhile enter
 * their leases again. The install's very first use trusts the empty store.
 *
 * @internal RedisBackend's
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class RedisStore
{
    /** The epoch of the store this install used last (a site option: one per network). */
    public const EPOCH_OPTION = 'sluice_redis_epoch';

    private readonly RedisScripts $scripts;
    private ?string $prefix = null;
    /** A script of this process queued a wake of its own scope since it last took wakes. */
    private bool $wakesQueued = false;
    /** @var array<string, bool> what the last sweep found waiting for this scope (wakes, stranded, stale), until it is taken */
    private array $sweepFound = [];

    /**
     * @param ?string $scope the scope of the caller's tickets, wakes and stranded leases ("<install>/<blog>", as in
     *                       its key names: an action id is unique only per blog); null: the current blog's, looked up
     *                       on every call (so switch_to_blog() is followed), or "" without WordPress; a string pins it
     */
    public function __construct(public readonly RedisConfig $config, private readonly int $drainSeconds, private readonly ?string $scope = null)
    {
        $this->scripts = new RedisScripts($config);
    }

    /**
     * Runs one of the backend's scripts.
     *
     * @param list<string|int> $args the script's own arguments (ARGV[7] on)
     * @throws RedisBackendException
     */
    public function call(string $script, array $args): mixed
    {
        $this->prefix ??= $this->config->keyPrefix();
        $answer = $this->scripts->run($script, array_merge(
            [$this->prefix, bin2hex(random_bytes(8)), $this->holdMs(), LineOrder::reservationMs(), LineOrder::agingMs(), $this->scope()],
            $args,
        ));
        // Every script answers {wakes it queued for this scope, its reply}.
        if (!is_array($answer) || !array_key_exists(1, $answer)) {
            throw new RedisBackendException("Sluice's Redis script {$script} answered " . var_export($answer, true));
        }
        $this->wakesQueued = $this->wakesQueued || (int) $answer[0] > 0;
        return $answer[1];
    }

    /** Whether a wake of this scope may wait for this process to take (and forget it: the caller takes them now). */
    public function takeWakesQueued(): bool
    {
        $queued = $this->wakesQueued;
        $this->wakesQueued = false;
        return $queued;
    }

    /** The sweep saw what waits for this scope: wakes, stranded or stale => bool. */
    public function sweepSaw(string $what, bool $found): void
    {
        $this->sweepFound[$what] = $found;
    }

    /** What the last sweep saw of $what (null when no sweep said), forgotten once asked. */
    public function sweepFound(string $what): ?bool
    {
        $found = $this->sweepFound[$what] ?? null;
        unset($this->sweepFound[$what]);
        return $found;
    }

    /** The store answered with its epoch: remembered, so that losing it later is noticed. */
    public function epochSeen(string $epoch): void
    {
        if (function_exists('get_site_option') && get_site_option(self::EPOCH_OPTION, '') !== $epoch) {
            update_site_option(self::EPOCH_OPTION, $epoch);
        }
    }

    /**
     * The server's version; throws when it does not answer.
     *
     * @throws RedisBackendException
     */
    public function serverVersion(): string
    {
        return $this->scripts->serverVersion();
    }

    private function scope(): string
    {
        return $this->scope ?? Scope::current();
    }

    /** How long an empty store is distrusted: the drain time, unless this install never used Redis before. */
    private function holdMs(): int
    {
        $known = !function_exists('get_site_option') || get_site_option(self::EPOCH_OPTION, '') !== '';
        return $known ? $this->drainSeconds * 1000 : 0;
    }
}
