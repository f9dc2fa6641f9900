<?php
/**
 * The tables of one store and their version, as Action Scheduler's
 * ActionScheduler_Abstract_Schema keeps them: each store owns its tables
 * (a subclass), their definitions and one version number, stored per blog
 * in the option optionName(). ensure() creates or upgrades the tables with
 * dbDelta when the stored version is not the class's, so a site that
 * updates the plugin without re-activating it still gets the new schema.
 * Raise version() with every change to a definition.
 */

declare(strict_types=1);

namespace SluiceWP\Schema;

defined('ABSPATH') || exit;

abstract class TableSchema
{
    /** The version of the definitions below. */
    abstract public function version(): int;

    /** The option (per blog) that holds the version installed. */
    abstract public function optionName(): string;

    /** @return list<string> the tables' full names */
    abstract public function tables(): array;

    /** @return list<string> tables of earlier versions that this one no longer has (dropped by upgraded(), and at uninstall) */
    public function retiredTables(): array
    {
        return [];
    }

    /** The CREATE TABLE statement of one of tables(), as dbDelta reads it. */
    abstract protected function definition(string $table, string $charsetCollate): string;

    /** True when this blog's tables are at this version (a usable store). */
    public function isCurrent(): bool
    {
        return (string) get_option($this->optionName(), '0') === (string) $this->version();
    }

    /** Creates or upgrades the tables when the stored version is not this one. */
    public function ensure(): void
    {
        if ($this->isCurrent()) {
            return;
        }
        global $wpdb;
        require_once ABSPATH . 'wp-admin/includes/upgrade.php';
        $charset = $wpdb->get_charset_collate();
        $from = (int) get_option($this->optionName(), '0');
        foreach ($this->tables() as $table) {
            dbDelta($this->definition($table, $charset));
        }
        if ($from > 0 && $from < $this->version()) {
            $this->upgraded($from);
        }
        update_option($this->optionName(), (string) $this->version(), true);
    }

    /** What rows need once the tables of version $from have today's definitions (dbDelta adds columns, not values). */
    protected function upgraded(int $from): void
    {
    }
}
