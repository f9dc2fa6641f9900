<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use Sluice\Tests\Support\SluiceTestCase;
use SluiceWP\Gate\InstallId;

/**
 * The install's id in key names is one for every host of a site: hosts
 * spell DB_HOST their own way (127.0.0.1:port here, localhost with the
 * socket there), and the database backend still holds one limit for both;
 * the first processes of an install, started at once, agree on one id.
 */
final class InstallIdTest extends SluiceTestCase
{
    public function testHostsThatSpellDbHostDifferentlyShareOneLimitOnTheDatabaseBackend(): void
    {
        $socket = getenv('SLUICE_STACK_DIR') . '/mysql/mysqld.sock';
        self::assertFileExists($socket, 'the test bed\'s MariaDB socket');
        $tenant = 'install-id-' . bin2hex(random_bytes(4));
        $code = 'define("DB_HOST", $dbHost); error_reporting(E_ALL & ~E_WARNING); // wp-config.php defines DB_HOST again
            require ' . var_export(Site::loader(), true) . ';
            $key = SluiceWP\Gate\KeyNames::forBlog()->tenant($tenant);
            $lease = (new SluiceWP\Backend\DatabaseBackend())->tryAcquire([$key => 1], 600, "host " . DB_HOST);
            echo "RESULT:", json_encode([$key, $lease instanceof SluiceWP\Backend\Lease]), "\n";
            if ($hold) { sleep(60); }';
        $one = Runner::php($code, ['dbHost' => DB_HOST, 'tenant' => $tenant, 'hold' => true]);
        try {
            $one->expectLine('RESULT:' . json_encode([self::keyOf($tenant), true]));
            $two = Runner::php($code, ['dbHost' => 'localhost:' . $socket, 'tenant' => $tenant, 'hold' => false]);
            self::assertSame(0, $two->wait(), $two->output());
            self::assertStringContainsString('RESULT:' . json_encode([self::keyOf($tenant), false]), $two->output(),
                'the host that spells DB_HOST another way names the same key and finds its one slot taken');
        } finally {
            $one->kill(9);
            $one->wait();
        }
    }

    public function testTheFirstProcessesOfAnInstallStartedAtOnceAgreeOnOneId(): void
    {
        global $wpdb;
        $saved = $wpdb->get_var($wpdb->prepare("SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", InstallId::OPTION));
        self::assertSame(InstallId::get(), $saved, 'the site has its id');
        $wpdb->delete($wpdb->options, ['option_name' => InstallId::OPTION]);
        try {
            $children = [];
            for ($i = 0; $i < 4; $i++) {
                $children[] = Runner::php('require ' . var_export(Site::loader(), true) . ';
                    echo "RESULT:", SluiceWP\Gate\InstallId::get(), "\n";');
            }
            $ids = [];
            foreach ($children as $child) {
                self::assertSame(0, $child->wait(), $child->output());
                self::assertSame(1, preg_match('/^RESULT:([0-9a-f]{10})$/m', $child->output(), $m), $child->output());
                $ids[] = $m[1];
            }
            $stored = $wpdb->get_col($wpdb->prepare("SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", InstallId::OPTION));
            self::assertCount(1, $stored);
            self::assertSame(array_fill(0, 4, $stored[0]), $ids, 'every first process reads back the one id stored');
        } finally {
            $wpdb->query($wpdb->prepare("REPLACE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'yes')", InstallId::OPTION, $saved));
            wp_cache_delete('alloptions', 'options');
        }
    }

    private static function keyOf(string $tenant): string
    {
        return \SluiceWP\Gate\KeyNames::forBlog()->tenant($tenant);
    }
}
