<?php
/**
 * Leases and the waiting line in Redis (phpredis), for sites whose web and
 * queue hosts already share a Redis: one limit across every host, at one
 * round trip per acquire and one per release.
 *
 * Every operation is one Lua script (RedisLua/, run by RedisScripts with
 * EVALSHA), so Redis applies it atomically: an acquire takes one slot on
 * every key or none; a release gives them back and hands them to the next
 * ticket of the line in the same script. The records (RedisLua/common.lua
 * lists them) carry one hash tag per install, so this works on a Redis
 * Cluster too. Times are Redis's clock, so hosts whose clocks differ agree
 * on every expiry.
 *
 * Owners are host + pid + process start time (LocalProcess), as on the
 * database backend: a holder of this host that died is reclaimed by this
 * host (the store hands its process ids to the acquire or sweep that checks
 * them), after its open provider request's drain; a holder of another host
 * comes back by its TTL. Leases this process took are released when its
 * request ends. A Redis that is unreachable or fails throws
 * RedisBackendException (the gate runs the work ungated and says so, or
 * BackendChoice falls back as the setting redis_fallback says), never a
 * refusal. A Redis that lost its records (RedisStore) holds admissions for
 * the drain time. Each key may have a small record beside it (RecordStore: the
 * provider protection's state), read and compare-and-set by one script each,
 * per-minute capacity counters (RedisCapacityCounters, one script per call),
 * and a token bucket (RateBuckets: taken by the acquire script with the slots,
 * all or nothing; RedisBuckets for the rest).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class RedisBackend implements Backend, OperatorView, WaitingLine, Capacity, RecordStore, CapacityCounters, RateBuckets
{
    use FixedMaxLimit;
    use ForwardsLineRecords;
    use ForwardsCapacityCounters;
    use ForwardsBuckets;

    /** Redis 7 runs scripts with a shebang (a Cluster then refuses keys of another slot); LPOP takes a count since 6.2. */
    private const MIN_REDIS_VERSION = '7.0.0';

    private readonly RedisStore $store;
    private readonly RedisLine $line;
    private readonly RedisCapacityCounters $counters;
    private readonly RedisBuckets $buckets;
    private ?string $unavailable = null;
    private bool $checked = false;
    /** @var array<string, true> tokens this process took and has not released: released when the request ends */
    private array $held = [];
    private bool $releaseAtShutdown = false;

    /**
     * @param RedisConfig|null $config       null: SLUICE_REDIS and the filter sluice_redis (RedisConfig::fromSite())
     * @param int              $drainSeconds how long admissions wait after Redis lost its records (the provider request timeout)
     * @param ?string          $scope        whose tickets, wakes and stranded leases these are ("<install>/<blog>");
     *                                       null: the current blog's on every call, "" without WordPress
     */
    public function __construct(?RedisConfig $config = null, int $drainSeconds = 300, ?string $scope = null)
    {
        try {
            $config ??= RedisConfig::fromSite();
        } catch (\InvalidArgumentException $e) {
            $this->checked = true;
            $this->unavailable = 'the Redis connection settings are wrong: ' . $e->getMessage();
            $config = RedisConfig::fromArray([]);
        }
        $this->store = new RedisStore($config, max(0, $drainSeconds), $scope);
        $this->line = new RedisLine($this->store);
        $this->counters = new RedisCapacityCounters($this->store);
        $this->buckets = new RedisBuckets($this->store);
    }

    public function name(): string
    {
        return 'redis';
    }

    /** Where this backend connects, for operators (no password). */
    public function describe(): string
    {
        return $this->store->config->describe();
    }

    public function unavailableReason(): ?string
    {
        if (!$this->checked) {
            $this->checked = true;
            try {
                $version = $this->store->serverVersion();
                if (version_compare($version, self::MIN_REDIS_VERSION, '<')) {
                    $this->unavailable = "Redis at {$this->describe()} is version {$version}; Sluice needs " . self::MIN_REDIS_VERSION . ' or later';
                }
            } catch (RedisBackendException $e) {
                $this->unavailable = $e->getMessage();
            }
        }
        return $this->unavailable;
    }

    public function tryAcquire(array $limits, int $ttl, string $label): Lease|Refusal
    {
        return $this->acquire($limits, $ttl, $label, 0);
    }

    public function readRecord(string $key): StoredRecord
    {
        LeaseArguments::checkRecord($key, 0, '');
        $reply = $this->store->call('record', [$key]);
        if (!is_array($reply) || count($reply) !== 4) {
            throw new RedisBackendException('Sluice\'s Redis script record answered ' . var_export($reply, true));
        }
        return new StoredRecord((int) $reply[0], (string) $reply[1], (int) $reply[2], (int) $reply[3]);
    }

    public function writeRecord(string $key, int $version, string $data, ?int $cap = null): bool
    {
        LeaseArguments::checkRecord($key, $version, $data, $cap);
        return $this->store->call('recordset', [$key, $version, $data, $cap === null ? '' : $cap]) === 1;
    }

    protected function capacityCounters(): RedisCapacityCounters
    {
        return $this->counters;
    }

    public function lineAvailable(): bool
    {
        return $this->unavailableReason() === null;
    }

    public function tryAcquireFor(array $limits, int $ttl, string $label, int $ref): Lease|Refusal
    {
        return $this->acquire($limits, $ttl, $label, LeaseArguments::ref($ref));
    }

    public function tryAcquireTaking(array $limits, int $ttl, string $label, ?int $ref, array $buckets): Lease|Refusal
    {
        return $this->acquire($limits, $ttl, $label, $ref === null ? 0 : LeaseArguments::ref($ref), RedisBuckets::takes($buckets));
    }

    public function enqueueHeld(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt): Ticket
    {
        return $this->line->enqueue($limits, $ref, $tenant, $weight, $firstDeferredAt, true);
    }

    protected function bucketStore(): BucketStore
    {
        return $this->buckets;
    }

    /**
     * One script: the action's reservation becomes the lease, or one slot of
     * every key is taken, or none. When a key is full, the script names this
     * host's holders of it: if one of them is dead, the script runs once
     * more, freeing their slots first (that second round trip only then).
     * With $takes (RedisBuckets::takes()) the same script takes the buckets'
     * tokens once every slot is free, or refuses for the first one short.
     *
     * @param array<string,int> $limits
     * @param list<string> $takes
     */
    private function acquire(array $limits, int $ttl, string $label, int $ref, array $takes = []): Lease|Refusal
    {
        LeaseArguments::checkLimits($limits);
        $ttlMs = LeaseArguments::ttlSeconds($ttl) * 1000;
        $label = LeaseArguments::label($label);
        $me = LocalProcess::current();
        $token = bin2hex(random_bytes(16));
        $pairs = [];
        foreach ($limits as $key => $limit) {
            array_push($pairs, (string) $key, $limit);
        }
        $dead = [];
        for ($attempt = 0; ; $attempt++) {
            $reply = $this->store->call('acquire', array_merge(
                [$token, $ttlMs, $label, $me->host, $me->hostId, $me->pid, $me->startTime, $ref, intdiv(count($dead), 3), intdiv(count($takes), 4)],
                $dead,
                $takes,
                $pairs,
            ));
            if (!is_array($reply) || !isset($reply[0])) {
                throw new RedisBackendException('Sluice\'s Redis acquire script answered ' . var_export($reply, true));
            }
            if ($reply[0] === 'ok') {
                $this->store->epochSeen((string) $reply[1]);
                $this->remember($token);
                return new Lease($token, $limits, ['epoch' => (string) $reply[1], 'label' => $label, 'ref' => $ref, 'ttlMs' => $ttlMs],
                    max(Lease::NO_TICKET, (int) ($reply[2] ?? Lease::NO_TICKET)));
            }
            if ($reply[0] === 'rate') {
                return new Refusal((string) $reply[1], 0, 0, Refusal::RATE_BUDGET, (int) $reply[2], (int) $reply[3]);
            }
            if ($reply[0] === 'hold') {
                // A store that lost its records: every slot counts as held until the forgotten holders drained.
                return new Refusal((string) $reply[1], (int) $reply[2], (int) $reply[2]);
            }
            $dead = $attempt === 0 ? self::deadOwners($me, array_slice($reply, 4)) : [];
            if ($dead === []) {
                return new Refusal((string) $reply[1], (int) $reply[2], (int) $reply[3]);
            }
        }
    }

    public function release(Lease $lease): bool
    {
        return $this->releaseToken($lease->token);
    }

    public function renew(Lease $lease, int $ttl): bool
    {
        return $this->touch($lease, 'renew', LeaseArguments::ttlSeconds($ttl) * 1000);
    }

    /** One script: the request's deadline, and the renewal with it when $renewTtl is above 0. */
    public function requestStarted(Lease $lease, int $maxSeconds, int $renewTtl = 0): bool
    {
        $renewMs = $renewTtl > 0 ? LeaseArguments::ttlSeconds($renewTtl) * 1000 : 0;
        return $this->touch($lease, 'start', LeaseArguments::requestSeconds($maxSeconds) * 1000, $renewMs);
    }

    public function requestFinished(Lease $lease): bool
    {
        return $this->touch($lease, 'finish', 0);
    }

    /**
     * Renews or marks a lease. One the store lost with its records (a new
     * epoch) is entered again, since its holder (this process) still runs.
     */
    private function touch(Lease $lease, string $what, int $ms, int $renewMs = 0): bool
    {
        if (!LeaseArguments::isToken($lease->token)) {
            return false;
        }
        $held = is_array($lease->handle) ? $lease->handle : [];
        $me = LocalProcess::current();
        return $this->store->call('touch', [
            $lease->token, $what, $ms,
            (string) ($held['epoch'] ?? ''),
            implode("\n", array_map('strval', array_keys($lease->limits))), implode("\n", $lease->limits),
            (string) ($held['label'] ?? ''), $me->host, $me->hostId, $me->pid, $me->startTime, (int) ($held['ref'] ?? 0),
            max($ms, $renewMs, (int) ($held['ttlMs'] ?? LeaseArguments::DEFAULT_TTL_SECONDS * 1000)),
            $renewMs,
        ]) === 1;
    }

    protected function lineRecords(): LineRecords
    {
        return $this->line;
    }

    public function operatorView(): OperatorView
    {
        return $this;
    }

    public function keys(): array
    {
        $reply = $this->store->call('keys', []);
        $now = (int) ($reply[0] ?? 0);
        $keys = [];
        foreach (array_slice(is_array($reply) ? $reply : [], 1) as [$key, $flat, $queued, $holderRows]) {
            $c = self::hash($flat);
            $holders = [];
            foreach ($holderRows as $row) {
                $h = self::hash($row);
                $requestUntil = (int) ($h['req'] ?? 0);
                $holders[] = new Holder(
                    (string) $h['token'],
                    (int) ($h['pid'] ?? 0),
                    (string) ($h['label'] ?? ''),
                    max(0, $now - (int) ($h['at'] ?? $now)),
                    max(0, (int) ($h['exp'] ?? 0) - $now),
                    $requestUntil > 0,
                    max(0, $requestUntil - $now),
                    (int) ($h['ref'] ?? 0),
                    ($h['res'] ?? '0') === '1',
                    host: (string) ($h['host'] ?? ''),
                    scope: (string) ($h['sc'] ?? ''),
                );
            }
            $keys[(string) $key] = new KeyStatus(
                key: (string) $key,
                limit: (int) ($c['limit'] ?? 0),
                active: count($holders),
                peak: (int) ($c['peak'] ?? 0),
                acquired: (int) ($c['acquired'] ?? 0),
                throttled: (int) ($c['throttled'] ?? 0),
                released: (int) ($c['released'] ?? 0),
                reclaimedDead: (int) ($c['reclaimed_dead'] ?? 0),
                reclaimedExpired: (int) ($c['reclaimed_expired'] ?? 0),
                holders: $holders,
                meanHoldMs: (int) ($c['mean_hold_ms'] ?? 0),
                queued: (int) $queued,
                reserved: count(array_filter($holders, static fn (Holder $h): bool => $h->reservation)),
                wakesSent: (int) ($c['wakes_sent'] ?? 0),
                wakesLapsed: (int) ($c['wakes_lapsed'] ?? 0),
                wakesMissed: (int) ($c['wakes_missed'] ?? 0),
                peakSince: intdiv((int) ($c['peak_since'] ?? 0), 1000),
            );
        }
        ksort($keys, SORT_STRING);
        return $keys;
    }

    public function releaseToken(string $token): bool
    {
        unset($this->held[$token]);
        return LeaseArguments::isToken($token) && $this->store->call('release', [$token]) === 1;
    }

    public function reset(string $key): int
    {
        return (int) $this->store->call('reset', [$key]);
    }

    /** Expired leases and lapsed reservations in one script; this host's dead holders in a second one, if any. */
    public function sweep(): int
    {
        $me = LocalProcess::current();
        $reply = $this->store->call('sweep', [$me->hostId, WaitingLine::STALE_AFTER_MS]);
        $reply = is_array($reply) ? $reply : [];
        $swept = (int) ($reply[0] ?? 0);
        // The rest of the sweep (wakes, stranded leases, stale tickets) asks Redis only for what is there.
        foreach (['wakes' => 1, 'stranded' => 2, 'stale' => 3] as $what => $i) {
            $this->store->sweepSaw($what, (int) ($reply[$i] ?? 1) > 0);
        }
        $dead = self::deadOwners($me, array_slice($reply, 4));
        if ($dead !== []) {
            $swept += (int) $this->store->call('reclaim', array_merge([$me->hostId, intdiv(count($dead), 3)], $dead));
            $this->store->sweepSaw('stranded', true); // a dead holder leaves its action id (the first script counted before)
        }
        return $swept;
    }

    /**
     * The triplets (token, pid, start time) of holders on this host whose process is gone.
     *
     * @param array<mixed> $holders flat triplets
     * @return list<string|int>
     */
    private static function deadOwners(LocalProcess $me, array $holders): array
    {
        $dead = [];
        foreach (array_chunk($holders, 3) as $h) {
            if (count($h) === 3 && $me->ownerIsDead($me->hostId, (int) $h[1], (int) $h[2])) {
                array_push($dead, (string) $h[0], (int) $h[1], (int) $h[2]);
            }
        }
        return $dead;
    }

    /**
     * A flat HGETALL reply as an array.
     *
     * @param array<mixed> $flat
     * @return array<string, string>
     */
    public static function hash(array $flat): array
    {
        $out = [];
        for ($i = 0; $i + 1 < count($flat); $i += 2) {
            $out[(string) $flat[$i]] = (string) $flat[$i + 1];
        }
        return $out;
    }

    private function remember(string $token): void
    {
        $this->held[$token] = true;
        if (!$this->releaseAtShutdown) {
            $this->releaseAtShutdown = true;
            register_shutdown_function(function (): void {
                foreach (array_keys($this->held) as $token) {
                    try {
                        $this->releaseToken($token);
                    } catch (RedisBackendException $e) {
                        error_log('Sluice: a Redis lease could not be released at request end (its TTL will free it): ' . $e->getMessage());
                    }
                }
            });
        }
    }
}
