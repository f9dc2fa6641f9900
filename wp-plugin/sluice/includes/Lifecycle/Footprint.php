<?php
/**
 * Everything Sluice writes into WordPress, by name: its options (the
 * settings, the install id, each store's schema version), the transients
 * of operators' runs, its network options, each store's tables (from the
 * schema owners, Schema\TableSchema) and its WP-Cron hooks. The uninstall,
 * a deleted blog and deactivation remove exactly these: nothing is found by
 * pattern, so another plugin's table, option or hook whose name merely
 * starts with "sluice" is never touched, and no cache but these entries'.
 */

declare(strict_types=1);

namespace SluiceWP\Lifecycle;

use SluiceWP\Rates\ExpectedTokens;
use SluiceWP\Backend\RedisStore;
use SluiceWP\Backend\SiteStore;
use SluiceWP\Capacity\CapacityWatch;
use SluiceWP\Gate\GateHooks;
use SluiceWP\Gate\InstallId;
use SluiceWP\Log\MinuteSamples;
use SluiceWP\Scheduler\OperatorRuns;
use SluiceWP\Schema\TableSchema;
use SluiceWP\Settings\Fields;
use SluiceWP\Settings\NetworkSettings;
use SluiceWP\Status\ProcessStores;
use SluiceWP\Status\UngatedCounter;

defined('ABSPATH') || exit;

final class Footprint
{
    /** Sluice's WP-Cron events, on each blog. */
    public const CRON_HOOKS = [GateHooks::SWEEP_HOOK, MinuteSamples::CRON_HOOK];

    /** Transients whose names end in an id (an operator's run of action <id>), on each blog. */
    public const TRANSIENT_PREFIXES = [OperatorRuns::NOTICE_TRANSIENT];

    /** @param list<TableSchema> $schemas every store's tables (Plugin::schemas()) */
    public function __construct(private readonly array $schemas)
    {
    }

    /** @return list<string> the options of a blog */
    public function options(): array
    {
        return array_merge(
            [Fields::OPTION, InstallId::OPTION, ProcessStores::OPTION, UngatedCounter::OPTION, CapacityWatch::OPTION, ExpectedTokens::OPTION],
            array_map(static fn (TableSchema $schema): string => $schema->optionName(), $this->schemas),
        );
    }

    /** @return list<string> the network's options (a single site's options) */
    public function networkOptions(): array
    {
        return [RedisStore::EPOCH_OPTION, NetworkSettings::OPTION, SiteStore::OPTION, CapacityWatch::HOST_OPTION];
    }

    /**
     * The current blog's tables: its own, and on the main blog the network-wide ones too (the database
     * backend's leases and line, named with the base prefix, which a blog's prefix on a network is not).
     *
     * @return list<string>
     */
    public function tables(): array
    {
        global $wpdb;
        $tables = [];
        foreach ($this->schemas as $schema) {
            foreach ([...$schema->tables(), ...$schema->retiredTables()] as $table) {
                if (str_starts_with($table, $wpdb->prefix)) {
                    $tables[] = $table;
                }
            }
        }
        return $tables;
    }

    /**
     * The current blog's transients of the TRANSIENT_PREFIXES families, by name.
     *
     * @return list<string>
     */
    public function transients(): array
    {
        global $wpdb;
        $names = [];
        foreach (self::TRANSIENT_PREFIXES as $prefix) {
            $rows = $wpdb->get_col($wpdb->prepare(
                "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s",
                $wpdb->esc_like('_transient_' . $prefix) . '%',
            ));
            foreach (is_array($rows) ? $rows : [] as $row) {
                $names[] = substr((string) $row, strlen('_transient_'));
            }
        }
        return $names;
    }
}
