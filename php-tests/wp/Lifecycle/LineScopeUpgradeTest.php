<?php
declare(strict_types=1);

namespace Sluice\WpTests\Lifecycle;

use Sluice\WpTests\Cli\WpCli;
use Sluice\WpTests\Gate\GateTestCase;
use SluiceWP\Backend\DatabaseLineSchema;
use SluiceWP\Backend\Scope;

/**
 * The database line's rows name their install and blog since its schema's
 * version 3. Rows written by versions 1 and 2 name none, so no blog's process
 * would ever take them: the upgrade (the next request after the plugin's
 * update) drops them and keeps the rows that name a blog. Their actions'
 * copies still run at their own time. Since version 4 a reserved ticket is
 * its own wake: the upgrade drops the wakes table of earlier versions.
 */
final class LineScopeUpgradeTest extends GateTestCase
{
    public function testAVersionTwoLinesRowsThatNameNoBlogGoAtTheUpgrade(): void
    {
        global $wpdb;
        $schema = new DatabaseLineSchema();
        [$tickets, $stranded] = $schema->tables();
        [$wakes] = $schema->retiredTables();
        foreach ($schema->tables() as $table) {
            $wpdb->query("DELETE FROM {$table}");
        }
        // The wakes table as versions 1 to 3 had it.
        $wpdb->query("CREATE TABLE IF NOT EXISTS {$wakes} (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, ticket char(32) NOT NULL,"
            . " install varbinary(16) NOT NULL DEFAULT '', blog_id bigint(20) unsigned NOT NULL DEFAULT 0, PRIMARY KEY (id))");
        $scope = Scope::parse(Scope::current());
        $old = bin2hex(random_bytes(16));
        $kept = bin2hex(random_bytes(16));
        foreach ([[$old, '', 0], [$kept, $scope->install, $scope->blogId]] as [$ticket, $install, $blogId]) {
            self::assertSame(1, $wpdb->insert($tickets, ['ticket' => $ticket, 'ref' => 41, 'key_set' => 'k', 'k1' => 'k', 'install' => $install, 'blog_id' => $blogId]), $wpdb->last_error);
            self::assertSame(1, $wpdb->insert($wakes, ['ticket' => $ticket, 'install' => $install, 'blog_id' => $blogId]), $wpdb->last_error);
            self::assertSame(1, $wpdb->insert($stranded, ['ref' => 41, 'label' => 'l', 'pid' => 1, 'install' => $install, 'blog_id' => $blogId]), $wpdb->last_error);
        }
        update_option($schema->optionName(), '2');

        $request = WpCli::sluice(['status', '--format=json']);
        self::assertSame(0, $request->exitCode, (string) $request);

        self::assertSame((string) $schema->version(), $wpdb->get_var($wpdb->prepare("SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", $schema->optionName())));
        self::assertSame([$kept], $wpdb->get_col("SELECT ticket FROM {$tickets}"), 'the ticket that names no blog went, the other stayed');
        self::assertNull($wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', $wakes)), 'the wakes table of earlier versions went');
        self::assertSame([$scope->install], $wpdb->get_col("SELECT install FROM {$stranded}"));
        foreach ($schema->tables() as $table) {
            $wpdb->query("DELETE FROM {$table}");
        }
    }
}
