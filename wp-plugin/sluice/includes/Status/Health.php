<?php
/**
 * Sluice's health on this site, one collector for every surface (the status
 * page, `wp sluice status`, REST, the admin notice and Site Health): healthy,
 * degraded (something is wrong that an operator must fix, but AI work is
 * still limited or waits) or ungated (AI work of this process runs without
 * Sluice's limit), with each problem and its fix. It reads what each kind of
 * process recorded (ProcessStores), the store this process uses
 * (BackendChoice), the actions that ran ungated (UngatedCounter) and the
 * limits Config had to clamp, and rate budgets set where the store keeps none.
 */

declare(strict_types=1);

namespace SluiceWP\Status;

use SluiceWP\Backend\BackendChoice;
use SluiceWP\Backend\RateBuckets;
use SluiceWP\Settings\Config;

defined('ABSPATH') || exit;

final class Health
{
    public const HEALTHY = 'healthy';
    public const DEGRADED = 'degraded';
    public const UNGATED = 'ungated';
    /** Process records older than this are left out (that kind no longer runs). */
    private const RECORDS_KEPT_SECONDS = 7 * 86400;

    /** @param list<HealthProblem> $problems */
    public function __construct(
        public readonly string $state,
        public readonly array $problems,
    ) {
    }

    /**
     * @param ?string $storeError why the store could not be read just now (SiteStatus), null when it could
     */
    public static function check(BackendChoice $backends, Config $config, ProcessStores $stores, UngatedCount $ungated, ?string $storeError = null): self
    {
        $problems = [];
        $records = array_filter($stores->all(), static fn (ProcessStore $r): bool => time() - $r->at < self::RECORDS_KEPT_SECONDS);
        $web = self::webRecord($records);
        $here = ProcessStores::currentKey();
        $ungatedHere = false;
        $reason = $backends->unavailableReason();
        if ($reason !== null && $config->enabled()) {
            $waitsFor = $backends->ungatedBySetting() ? null : $stores->anotherKindGatesQueues();
            $ungatedHere = $waitsFor === null;
            $problems[] = new HealthProblem('store_unusable', HealthProblem::CRITICAL, $waitsFor !== null
                ? sprintf('This PHP (%s) cannot use the site\'s lease store: %s. AI work that reaches a process like this one waits for %s, which ran the queue through the store %s ago.',
                    PHP_SAPI, $reason, $waitsFor->describe(), self::ago($waitsFor->queueRunAt))
                : sprintf('Sluice is not limiting AI work in this PHP (%s): no lease store is usable (backend setting: %s): %s. AI work here runs ungated (and counted).',
                    PHP_SAPI, $backends->preference(), $reason),
                self::fixFor($reason, $web));
        }
        foreach ($records as $key => $record) {
            if ($record->refused() && !($key === $here && $reason !== null)) {
                $problems[] = new HealthProblem('process_refused', HealthProblem::CRITICAL,
                    sprintf('%s cannot use the site\'s lease store (last seen %s ago): %s', $record->describe(), self::ago($record->at), (string) $record->error),
                    self::fixFor((string) $record->error, $web));
            }
        }
        $stores = array_unique(array_filter(array_map(static fn (ProcessStore $r): ?string => $r->store, $records)));
        if (count($stores) > 1) {
            $uses = [];
            foreach ($records as $record) {
                if ($record->store !== null) {
                    $uses[] = $record->describe() . ': ' . $record->store;
                }
            }
            $problems[] = new HealthProblem('stores_differ', HealthProblem::CRITICAL,
                'The site\'s processes use different lease stores (' . implode('; ', $uses) . '): each store grants the whole limit, so together they let more AI work run than the limit.',
                'Set the backend to one store for every process (wp sluice config set backend database, or native with the extension loaded in every PHP that runs the site).');
        }
        $loaded = array_unique(array_map(static fn (ProcessStore $r): bool => $r->extensionLoaded, $records));
        if (count($loaded) > 1 && count($stores) <= 1) {
            $without = array_filter($records, static fn (ProcessStore $r): bool => !$r->extensionLoaded);
            $problems[] = new HealthProblem('extension_partial', HealthProblem::RECOMMENDED,
                'The sluice extension is loaded in some of the site\'s PHPs but not in ' . implode(', ', array_map(static fn (ProcessStore $r): string => $r->describe(), $without)) . '.',
                'Add extension=sluice.so to the php.ini of every PHP that runs the site (PHP-FPM and the CLI), so that all of them can use one store.');
        }
        $config->siteLimit(); // the limits in effect, so that a clamp of this process is known
        $config->tenantLimit('');
        foreach ($config->clamped() as $clamped) {
            $problems[] = new HealthProblem('limit_clamped', HealthProblem::CRITICAL, ucfirst($clamped) . '.');
        }
        if ($ungated->recent()) {
            $problems[] = new HealthProblem('ungated_runs', HealthProblem::CRITICAL, sprintf(
                '%d action(s) ran ungated because the lease store failed since %s UTC, the last one (action %d) %s ago: %s',
                $ungated->count, gmdate('Y-m-d H:i', $ungated->firstAt), $ungated->lastAction, self::ago($ungated->lastAt), $ungated->lastError,
            ), self::fixFor($ungated->lastError, $web));
        }
        if ($backends->redisUnreachable() !== null && $backends->backend() !== null) {
            $problems[] = new HealthProblem('redis_unreachable', HealthProblem::WARNING, sprintf(
                'Sluice cannot use Redis (%s), so it limits AI work through the %s backend, as the setting "When Redis is unreachable" says: a store apart, each granting the whole limit, until Redis answers again.',
                (string) $backends->redisUnreachable(), (string) $backends->backend()->name(),
            ));
        }
        $store = $backends->backend();
        if ($store !== null && !$store instanceof RateBuckets && $config->enabled() && $config->rateBudgetsSet()) {
            $problems[] = new HealthProblem('budgets_not_kept', HealthProblem::WARNING, sprintf(
                'Rate budgets are set (requests or tokens per minute, or AI steps per second), but the %s backend keeps no token buckets: AI steps are admitted by their slots alone, and the provider may answer 429.',
                $store->name(),
            ), 'Use the native, database or Redis backend (they keep token buckets) for rate budgets, or set them to 0.');
        }
        if ($storeError !== null) {
            $problems[] = new HealthProblem('store_error', HealthProblem::CRITICAL, 'The lease store could not be read: ' . $storeError);
        }
        $state = match (true) {
            $ungatedHere => self::UNGATED,
            array_filter($problems, static fn (HealthProblem $p): bool => $p->severity !== HealthProblem::RECOMMENDED) !== [] => self::DEGRADED,
            default => self::HEALTHY,
        };
        return new self($state, $problems);
    }

    /** @return list<string> the problems' codes */
    public function codes(): array
    {
        return array_map(static fn (HealthProblem $p): string => $p->code, $this->problems);
    }

    /**
     * What fixes a store error, where Sluice knows: the php.ini lines that let
     * PHP-FPM's and the CLI's users share the segment, the extension line, or
     * the store's own words (the extension names the INI lines in its errors).
     */
    private static function fixFor(string $error, ?ProcessStore $web): string
    {
        if (str_contains($error, 'not loaded')) {
            return 'Add extension=sluice.so to the php.ini of this PHP (PHP-FPM and the CLI each have their own), or set the backend to "database" for every process (wp sluice config set backend database).';
        }
        if (preg_match('/permission denied|belongs (neither|to another)|more permissive than|nor sluice\.group/', $error) === 1) {
            $group = $web !== null && $web->userGroup !== '' ? $web->userGroup : '<the PHP-FPM pool\'s group, e.g. www-data>';
            $segment = function_exists('Sluice\segment_path') ? \Sluice\segment_path() : '/dev/shm/sluice.v*.' . ($web?->segment ?: 'sluice');
            return sprintf(
                "Run the CLI queue runner as the web server's user (sudo -u %s wp action-scheduler run), or put these lines in the php.ini of every PHP that uses Sluice (PHP-FPM and the CLI):\nsluice.file_mode=0660\nsluice.group=%s\nthen remove the segment once (rm -f %s %s.lock) so that the next process creates it with them.",
                $web !== null && $web->user !== '' ? $web->user : 'www-data', $group, $segment, $segment,
            );
        }
        return '';
    }

    /** @param array<string, ProcessStore> $records */
    private static function webRecord(array $records): ?ProcessStore
    {
        foreach ($records as $record) {
            if ($record->kind === 'web') {
                return $record;
            }
        }
        return null;
    }

    private static function ago(int $at): string
    {
        return human_time_diff($at, time());
    }
}
