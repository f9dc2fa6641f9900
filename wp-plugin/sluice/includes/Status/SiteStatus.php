<?php
/**
 * What Sluice holds for one blog, typed (SiteReport): the one builder
 * behind `wp sluice status|holders|line|report`, GET /wp-json/sluice/v1/status
 * and the status pages (the network page calls network(), which switches to
 * each blog). Also the blog-scoped operator actions (release a token, reset
 * a key), so an administrator of one blog never touches another blog's leases.
 * Holders of other blogs and installs (on host-wide keys) are shown redacted,
 * and host-wide keys are reset, only as OperatorRights allows.
 */

declare(strict_types=1);

namespace SluiceWP\Status;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\BackendChoice;
use SluiceWP\Backend\BudgetStatus;
use SluiceWP\Backend\Holder;
use SluiceWP\Backend\KeyStatus;
use SluiceWP\Backend\QueueStatus;
use SluiceWP\Backend\RateBuckets;
use SluiceWP\Backend\Scope;
use SluiceWP\Backend\RecordStore;
use SluiceWP\Backend\WaitingLine;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Provider\ProviderProtection;
use SluiceWP\Provider\ProviderReport;
use SluiceWP\Provider\ProviderStates;
use SluiceWP\Settings\Config;

defined('ABSPATH') || exit;

final class SiteStatus
{
    public function __construct(
        private readonly BackendChoice $backends,
        private readonly Config $config,
        private readonly ProcessStores $processes = new ProcessStores(),
        private readonly UngatedCounter $ungated = new UngatedCounter(),
    ) {
    }

    /**
     * The current blog's report. A store that fails while it is read is
     * reported (health, problem store_error), never a fatal error or a 500.
     */
    public function report(): SiteReport
    {
        $backend = $this->backends->backend();
        $names = KeyNames::forBlog();
        $protection = $backend instanceof RecordStore ? new ProviderProtection(new ProviderStates($backend), $this->config, $names) : null;
        $keys = [];
        $budgets = [];
        $line = null;
        $storeError = null;
        $seesOthers = OperatorRights::seesOtherSites();
        try {
            foreach ($backend !== null ? $this->keysOfBlog($backend) : [] as $status) {
                $scope = (string) $names->scope($status->key);
                $keys[] = new KeyReport($scope, $seesOthers ? $status : $status->withHolders(array_map(
                    static fn (Holder $h): Holder => self::isOwn($h, $scope) ? $h : $h->redacted(),
                    $status->holders,
                )), $this->providerOf($status->key, $protection));
            }
            $line = $backend !== null ? $this->line($backend) : null;
            $budgets = $backend instanceof RateBuckets ? array_values(array_filter(
                $backend->budgets(),
                static fn (BudgetStatus $b): bool => KeyNames::isBudget($b->key) && $names->scope($b->key) !== null,
            )) : [];
        } catch (\Throwable $e) {
            $storeError = $e->getMessage();
        }
        $ungated = $this->ungated->read();
        return new SiteReport(
            blogId: get_current_blog_id(),
            url: home_url('/'),
            enabled: $this->config->enabled(),
            backend: $backend?->name(),
            backendUnavailable: $this->backends->unavailableReason(),
            redisUnreachable: $this->backends->redisUnreachable(),
            keyPrefix: $names->prefix(),
            siteLimit: $this->config->siteLimit(),
            keys: $keys,
            line: $line,
            health: Health::check($this->backends, $this->config, $this->processes, $ungated, $storeError),
            processes: array_values($this->processes->all()),
            siteStore: $this->backends->siteStore(),
            ungated: $ungated,
            budgets: $budgets,
        );
    }

    /**
     * Every blog's report, by blog id (one blog on a single site); $number
     * blogs from $offset on (by blog id) when $number is above 0.
     *
     * @return array<int, SiteReport>
     */
    public function network(int $number = 0, int $offset = 0): array
    {
        if (!is_multisite()) {
            return [get_current_blog_id() => $this->report()];
        }
        $reports = [];
        foreach (get_sites(['fields' => 'ids', 'number' => max(0, $number), 'offset' => max(0, $offset), 'orderby' => 'id', 'order' => 'ASC']) as $blogId) {
            switch_to_blog((int) $blogId);
            try {
                $reports[(int) $blogId] = $this->report();
            } finally {
                restore_current_blog();
            }
        }
        return $reports;
    }

    /**
     * Releases a lease of this blog by its token; false when no such lease is
     * held. A lease that also holds a key of another blog or install (e.g.
     * blog 2's site key plus a host-wide provider key) is that blog's: it is
     * not released from here.
     */
    public function release(string $token): bool
    {
        $backend = $this->backends->backend();
        if ($backend === null) {
            return false;
        }
        $found = false;
        $names = KeyNames::forBlog();
        $seesOthers = OperatorRights::seesOtherSites();
        foreach ($backend->operatorView()->keys() as $status) {
            foreach ($status->holders as $holder) {
                if (hash_equals($holder->token, $token)) {
                    $scope = $names->scope($status->key);
                    if ($scope === null || (!$seesOthers && !self::isOwn($holder, $scope))) {
                        return false; // another blog's key, or another site's work on a host-wide key
                    }
                    $found = true;
                }
            }
        }
        return $found && $backend->operatorView()->releaseToken($token);
    }

    /**
     * Drops every lease of one of this blog's keys (full name or short form:
     * "site", "provider:openai"). Null when the blog has no such key.
     *
     * @throws NotAllowed for a host-wide key, unless OperatorRights::mayResetHostWideKeys()
     */
    public function reset(string $name): ?int
    {
        $backend = $this->backends->backend();
        $key = KeyNames::forBlog()->resolve($name);
        if ($backend === null || !isset($this->keysOfBlog($backend)[$key])) {
            return null;
        }
        $refused = $this->resetRefusal($key);
        if ($refused !== null) {
            throw new NotAllowed($refused);
        }
        return $backend->operatorView()->reset($key);
    }

    /** Why the person asking may not reset this key (full name or short form), or null when they may. */
    public function resetRefusal(string $name): ?string
    {
        $names = KeyNames::forBlog();
        $key = $names->resolve($name);
        if ($names->scope($key) !== 'host' || OperatorRights::mayResetHostWideKeys()) {
            return null;
        }
        return sprintf(
            /* translators: %s: the key's name */
            __('%s is shared by every site of this host: only a network administrator (manage_network_options) may reset it, since that frees other sites\' slots while their work still runs.', 'sluice'),
            $key,
        );
    }

    /**
     * Whether a holder's work is this blog's: its scope says so, or (a store that does not say whose a lease
     * is) it holds one of the blog's own keys, not a host-wide one.
     */
    private static function isOwn(Holder $holder, string $keyScope): bool
    {
        return $holder->scope === '' ? $keyScope !== 'host' : $holder->scope === Scope::current();
    }

    /**
     * The lowest provider limit in force among this blog's protected
     * providers (0 while a circuit is open), for the chart; -1 when none.
     */
    public function lowestProviderLimit(): int
    {
        $lowest = -1;
        foreach ($this->report()->keys as $key) {
            $p = $key->provider;
            if ($p !== null && $p->error === null) {
                $limit = $p->circuit === 'open' ? 0 : $p->effectiveLimit;
                $lowest = $lowest < 0 ? $limit : min($lowest, $limit);
            }
        }
        return $lowest;
    }

    /** The blog's site key as the store holds it (null before its first AI step, or without a usable store). */
    public function siteKey(): ?KeyStatus
    {
        $backend = $this->backends->backend();
        return $backend?->operatorView()->keys()[KeyNames::forBlog()->site()] ?? null;
    }

    /** The protection of the provider whose key this is (null: not a provider's key, or an unprotected provider). */
    private function providerOf(string $key, ?ProviderProtection $protection): ?ProviderReport
    {
        $at = strrpos($key, '/provider:');
        $provider = $at !== false ? substr($key, $at + strlen('/provider:')) : '';
        if ($protection === null || $provider === '' || $protection->key($provider) !== $key || !$protection->isProtected($provider)) {
            return null;
        }
        return $protection->report($provider);
    }

    /** @return array<string, KeyStatus> this blog's keys of slots and the host-wide ones (rate budgets' buckets are budgets()) */
    private function keysOfBlog(Backend $backend): array
    {
        $names = KeyNames::forBlog();
        return array_filter(
            $backend->operatorView()->keys(),
            static fn (KeyStatus $status): bool => $names->scope($status->key) !== null && !KeyNames::isBudget($status->key),
        );
    }

    /**
     * The waiting line's queues on this blog's keys, where the store has a line.
     *
     * @return list<QueueStatus>|null
     */
    private function line(Backend $backend): ?array
    {
        if (!$backend instanceof WaitingLine || !$backend->lineAvailable()) {
            return null;
        }
        // A queue is this blog's when every key of it is (its own or host-wide), as for release():
        // a queue on another blog's site key and a host-wide provider key is that blog's.
        $names = KeyNames::forBlog();
        $own = Scope::current();
        $queues = [];
        foreach ($backend->line() as $queue) {
            $keys = array_keys($queue->keys);
            $ours = array_filter($keys, static fn (int|string $key): bool => $names->scope((string) $key) !== null);
            if ($keys !== [] && count($ours) === count($keys) && ($queue->scope === '' || $queue->scope === $own)) {
                $queues[] = $queue;
            }
        }
        return $queues;
    }
}
