<?php
declare(strict_types=1);

namespace Sluice\WpTests\Lifecycle;

use RuntimeException;
use Sluice\WpTests\Admin\AdminHttp;
use Sluice\WpTests\Cli\WpCli;
use Sluice\WpTests\Gate\GateTestCase;
use Sluice\Support\Process;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Log\EventLogSchema;
use wpdb;

/**
 * Sluice on a network: a second WordPress (tools/wordpress, Debian's 6.1.9,
 * its own folder and database on the stack's MariaDB) turned into a
 * subdirectory network the way wp-admin/network.php does it
 * (bin/make-network.php). Every step runs in processes of that site (PHP and
 * the real `wp --url=...`), sharing the segment with this process:
 * network activation creates every blog's tables, a blog created later gets
 * them, key names are per blog (host-wide provider keys shared), status and
 * release are scoped to the blog, the per-blog builder covers every blog,
 * the network status page shows every blog to network administrators only
 * (in a process of the site, and over HTTP through `php -S`: the stack's
 * nginx serves one single-site docroot),
 * deleting a blog drops its tables, and the network uninstall leaves nothing.
 * The tests build on each other, in order.
 */
final class MultisiteTest extends GateTestCase
{
    private const DOMAIN = 'sluice-network.test';
    private const HOST_WIDE = 'sluice/provider:ms-shared';

    private static ?TestNetwork $network = null;
    private static string $dir = '';
    private static ?wpdb $db = null;

    public static function setUpBeforeClass(): void
    {
        parent::setUpBeforeClass();
        self::$network = TestNetwork::up('network', self::DOMAIN);
        self::$dir = self::$network->dir;
        self::$db = self::$network->db;
    }

    public static function tearDownAfterClass(): void
    {
        self::$network?->down();
        parent::tearDownAfterClass();
    }

    public function testNetworkActivationCreatesEveryBlogsTablesAndBlogsCreatedLaterGetThem(): void
    {
        $two = self::inNetwork('echo "RESULT:", json_encode(wp_insert_site(["domain" => $domain, "path" => "/two/", "title" => "Two", "user_id" => 1])), "\n";');
        self::assertSame(2, $two, 'blog 2 exists before Sluice is activated');
        self::assertSame([], self::tables('wp\_2\_sluice\_%'), 'no Sluice tables before activation');

        $active = self::inNetwork('$r = activate_plugin("sluice/sluice.php", "", true); echo "RESULT:", json_encode(is_wp_error($r) ? $r->get_error_message() : is_plugin_active_for_network("sluice/sluice.php")), "\n";');
        self::assertTrue($active, 'network activation');
        $main = self::tables('wp\_sluice\_%');
        $blog2 = self::tables('wp\_2\_sluice\_%');
        self::assertContains('wp_sluice_events', $main);
        self::assertContains('wp_2_sluice_events', $blog2, 'the activation made blog 2\'s tables');
        foreach ($blog2 as $table) {
            self::assertContains('wp_' . substr($table, strlen('wp_2_')), $main, 'every per-blog table exists on the main blog too');
        }
        $events = new EventLogSchema();
        self::assertSame((string) $events->version(), self::option('wp_2_options', $events->optionName()));
        self::assertSame((string) $events->version(), self::option('wp_options', $events->optionName()));

        $three = self::inNetwork('echo "RESULT:", json_encode(wp_insert_site(["domain" => $domain, "path" => "/three/", "title" => "Three", "user_id" => 1])), "\n";');
        self::assertSame(3, $three);
        self::assertSame(array_map(static fn (string $t): string => 'wp_3_' . substr($t, strlen('wp_2_')), $blog2), self::tables('wp\_3\_sluice\_%'), 'a blog created later has the same tables');
        self::assertSame((string) $events->version(), self::option('wp_3_options', $events->optionName()));
    }

    /** @depends testNetworkActivationCreatesEveryBlogsTablesAndBlogsCreatedLaterGetThem */
    public function testKeysStatusAndReleaseArePerBlogAndHostWideProviderKeysAreShared(): void
    {
        $two = self::status('two');
        $three = self::status('three');
        self::assertStringEndsWith('/2/', $two['key_prefix']);
        self::assertStringEndsWith('/3/', $three['key_prefix']);
        self::assertSame(substr($two['key_prefix'], 0, -3), substr($three['key_prefix'], 0, -3), 'one install, two blogs');
        self::assertNotSame(substr($two['key_prefix'], 0, -3), substr(self::siteKey(), 0, strlen($two['key_prefix']) - 3), 'another install than the main test site');

        $backend = new NativeBackend();
        $lease = $backend->tryAcquire([$two['key_prefix'] . 'site' => 1, self::HOST_WIDE => 2], 600, 'blog two holder');
        self::assertInstanceOf(Lease::class, $lease);

        $keysOfTwo = array_column(self::status('two')['keys'], null, 'key');
        $keysOfThree = array_column(self::status('three')['keys'], null, 'key');
        self::assertSame($lease->token, $keysOfTwo[$two['key_prefix'] . 'site']['holders'][0]['token'] ?? null);
        self::assertArrayNotHasKey($two['key_prefix'] . 'site', $keysOfThree, 'blog 3 does not see blog 2\'s site key');
        self::assertSame(1, $keysOfThree[self::HOST_WIDE]['active'] ?? null, 'every blog sees a host-wide provider key');

        $foreign = WpCli::run(['--url=http://' . self::DOMAIN . '/three/', 'sluice', 'release', $lease->token], null, self::$dir);
        self::assertSame(1, $foreign->exitCode, 'blog 3 may not release blog 2\'s lease: ' . $foreign);
        self::assertSame(1, self::keyStatus($two['key_prefix'] . 'site')?->active);
        $own = WpCli::run(['--url=http://' . self::DOMAIN . '/two/', 'sluice', 'release', $lease->token], null, self::$dir);
        self::assertSame(0, $own->exitCode, (string) $own);
        self::assertSame(0, self::keyStatus($two['key_prefix'] . 'site')?->active);

        // The gate's key names on blog 2: per blog, unless the provider key is made host-wide.
        $names = self::inNetwork('
            $config = SluiceWP\Plugin::instance()->config;
            $names = SluiceWP\Gate\KeyNames::forBlog();
            $local = $names->provider("openai", $config->providerKeyIsHostWide("openai"));
            add_filter("sluice_provider_key_host_wide", "__return_true");
            echo "RESULT:", json_encode([$names->site(), $local, $names->provider("openai", $config->providerKeyIsHostWide("openai"))]), "\n";', [], '/two/');
        self::assertSame([$two['key_prefix'] . 'site', $two['key_prefix'] . 'provider:openai', 'sluice/provider:openai'], $names);

        // The builder the network status page uses: one report per blog, each with its own keys.
        $held = $backend->tryAcquire([$three['key_prefix'] . 'site' => 1], 600, 'blog three holder');
        self::assertInstanceOf(Lease::class, $held);
        $network = self::inNetwork('
            $reports = SluiceWP\Plugin::instance()->siteStatus()->network();
            echo "RESULT:", json_encode(array_map(static fn (SluiceWP\Status\SiteReport $r): array => [$r->blogId, $r->keyPrefix, array_column($r->toArray()["keys"], "active", "key")], $reports)), "\n";');
        self::assertSame(['1', '2', '3'], array_map('strval', array_keys($network)));
        foreach ($network as $blogId => [$reportedId, $prefix, $active]) {
            self::assertSame((int) $blogId, $reportedId);
            self::assertStringEndsWith('/' . $blogId . '/', $prefix);
            foreach (array_keys($active) as $key) {
                self::assertTrue(str_starts_with($key, $prefix) || str_starts_with($key, 'sluice/provider:'), "blog $blogId shows only its own and host-wide keys, not $key");
            }
        }
        self::assertSame(1, $network[3][2][$three['key_prefix'] . 'site'] ?? null);
        self::assertArrayNotHasKey($three['key_prefix'] . 'site', $network[2][2]);
        $cli = WpCli::run(['--url=http://' . self::DOMAIN . '/', 'sluice', 'report', '--network'], null, self::$dir);
        self::assertSame(0, $cli->exitCode, (string) $cli);
        $reports = $cli->json();
        self::assertSame(['1', '2', '3'], array_map('strval', array_keys($reports)), 'wp sluice report --network: every blog');
        self::assertSame([$three['key_prefix'] . 'site'], array_values(array_filter(array_column($reports[3]['keys'], 'key'), static fn (string $k): bool => !str_starts_with($k, 'sluice/provider:'))));
        $list = WpCli::run(['--url=http://' . self::DOMAIN . '/', 'sluice', 'status', '--network', '--format=csv', '--fields=blog_id,key'], null, self::$dir);
        self::assertSame(0, $list->exitCode, (string) $list);
        self::assertStringContainsString("3,{$three['key_prefix']}site", $list->stdout, 'wp sluice status --network: every blog\'s keys, with their blog');
        $backend->release($held);
    }

    /**
     * Network Admin > Sluice (Admin\NetworkStatusPage), rendered in a process
     * of the network site (the stack's nginx serves one single-site docroot,
     * not this subdirectory network): a network administrator sees every
     * blog's keys, holders and a link to the blog's own status page, values
     * escaped (a hostile holder label and site title); a blog's
     * administrator without manage_network_options is refused with a 403.
     *
     * @depends testKeysStatusAndReleaseArePerBlogAndHostWideProviderKeysAreShared
     */
    public function testTheNetworkStatusPageShowsEveryBlogToNetworkAdministratorsOnly(): void
    {
        $prefixes = [1 => self::status('')['key_prefix'], 2 => self::status('two')['key_prefix'], 3 => self::status('three')['key_prefix']];
        $hostile = '<img src=x onerror=alert(1)> & "quotes"';
        $backend = new NativeBackend();
        $leases = [
            1 => $backend->tryAcquire([$prefixes[1] . 'provider:openai' => 2], 600, 'action 11 / job 1 / step main-ai / openai'),
            2 => $backend->tryAcquire([$prefixes[2] . 'site' => 1, self::HOST_WIDE => 2], 600, $hostile),
            3 => $backend->tryAcquire([$prefixes[3] . 'site' => 1], 600, 'action 33 / job 3 / step three-ai / fake'),
        ];
        foreach ($leases as $lease) {
            self::assertInstanceOf(Lease::class, $lease);
        }
        try {
            $pages = self::inNetwork('
                switch_to_blog(3); update_option("blogname", "<script>alert(3)</script> Three"); restore_current_blog();
                if (!is_super_admin(1)) { grant_super_admin(1); }
                $blogAdmin = username_exists("blog-admin") ?: wp_insert_user(["user_login" => "blog-admin", "user_pass" => wp_generate_password(), "user_email" => "blog-admin@example.org", "role" => "administrator"]);
                add_filter("wp_die_handler", static fn () => static function ($message, $title, $args): void {
                    throw new RuntimeException("wp_die " . (is_array($args) ? ($args["response"] ?? "") : "") . ": " . (is_string($message) ? $message : ""));
                });
                $out = [];
                foreach (["network_admin" => 1, "blog_admin" => (int) $blogAdmin] as $who => $user) {
                    wp_set_current_user($user);
                    $page = new SluiceWP\Admin\NetworkStatusPage(WP_PLUGIN_DIR . "/sluice/sluice.php", SluiceWP\Plugin::instance()->siteStatus());
                    ob_start();
                    try {
                        $page->render();
                        $out[$who] = ["can" => current_user_can("manage_network_options"), "html" => (string) ob_get_clean()];
                    } catch (RuntimeException $e) {
                        ob_end_clean();
                        $out[$who] = ["can" => current_user_can("manage_network_options"), "died" => $e->getMessage()];
                    }
                }
                echo "RESULT:", json_encode($out), "\n";');
        } finally {
            foreach ($leases as $lease) {
                if ($lease instanceof Lease) {
                    $backend->release($lease);
                }
            }
        }

        self::assertTrue($pages['network_admin']['can']);
        $html = (string) ($pages['network_admin']['html'] ?? '');
        self::assertStringContainsString('Sluice status of the network', $html, $pages['network_admin']['died'] ?? '');
        $blogs = preg_split('/(?=<div class="sluice-section sluice-blog")/', $html) ?: [];
        $byBlog = [];
        foreach ($blogs as $part) {
            if (preg_match('/^<div class="sluice-section sluice-blog" id="sluice-blog-(\d+)"/', $part, $m) === 1) {
                $byBlog[(int) $m[1]] = $part;
            }
        }
        self::assertSame([1, 2, 3], array_keys($byBlog), 'one section per blog');
        foreach ($byBlog as $blogId => $part) {
            self::assertStringContainsString($prefixes[$blogId] . 'site', $part, "blog $blogId's site key");
            self::assertStringContainsString('/wp-admin/admin.php?page=sluice', $part, "blog $blogId links to its own status page");
            foreach ($prefixes as $other => $prefix) {
                if ($other !== $blogId) {
                    self::assertStringNotContainsString('title="' . $prefix, $part, "blog $blogId lists no key of blog $other");
                }
            }
            self::assertStringNotContainsString('<form', $part, 'read-only: no repair forms');
        }
        self::assertStringContainsString('title="' . $prefixes[1] . 'provider:openai"', $byBlog[1]);
        self::assertStringContainsString('main-ai', $byBlog[1]);
        self::assertStringContainsString('title="' . $prefixes[2] . 'site"', $byBlog[2]);
        self::assertStringContainsString('three-ai', $byBlog[3]);
        self::assertStringContainsString('/two/wp-admin/admin.php?page=sluice', $byBlog[2]);
        self::assertStringContainsString('/three/wp-admin/admin.php?page=sluice', $byBlog[3]);
        foreach ([1, 2, 3] as $blogId) {
            self::assertStringContainsString('title="' . self::HOST_WIDE . '"', $byBlog[$blogId], "blog $blogId sees the host-wide key");
        }
        self::assertStringContainsString('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;', $byBlog[2], 'the hostile label, escaped');
        self::assertStringContainsString('&lt;script&gt;alert(3)&lt;/script&gt; Three', $byBlog[3], 'the hostile site title, escaped');
        self::assertStringNotContainsString('<img src=x', $html);
        self::assertStringNotContainsString('<script>alert(3)', $html);

        self::assertFalse($pages['blog_admin']['can'], 'a blog\'s administrator is no network administrator');
        self::assertArrayNotHasKey('html', $pages['blog_admin']);
        self::assertStringStartsWith('wp_die 403: ', $pages['blog_admin']['died']);
        self::assertStringContainsString('not allowed', $pages['blog_admin']['died']);
    }

    /**
     * The same page over HTTP, as wp-admin serves it: the network served by
     * `php -S` with the subdirectory network's rewrites
     * (Admin/bin/network-router.php), logged in through wp-login.php. The
     * network administrator finds Sluice in the network admin menu and every
     * blog on its page; a blog's administrator gets a 403 and no status.
     *
     * @depends testTheNetworkStatusPageShowsEveryBlogToNetworkAdministratorsOnly
     */
    public function testNetworkAdminSluiceOverHttp(): void
    {
        $prefix = self::status('two')['key_prefix'];
        self::inNetwork('wp_set_password("blog-admin-pass", (int) username_exists("blog-admin")); echo "RESULT:", json_encode(true), "\n";');
        $lease = (new NativeBackend())->tryAcquire([$prefix . 'site' => 1], 600, 'action 222 / job 2 / step two-ai / <b>fake</b>');
        self::assertInstanceOf(Lease::class, $lease);
        $server = self::serveNetwork();
        try {
            $admin = AdminHttp::loggedInAt(self::DOMAIN, $server['port'], 'admin', trim((string) file_get_contents(self::$dir . '/.admin-password')));
            $page = $admin->get('/wp-admin/network/admin.php?page=sluice-network');
            self::assertSame(200, $page['status'], $page['body']);
            self::assertStringContainsString('admin.php?page=sluice-network', $page['body'], 'Sluice is in the network admin menu');
            self::assertStringContainsString('Sluice status of the network', $page['body']);
            foreach ([1, 2, 3] as $blogId) {
                self::assertStringContainsString('data-sluice-blog="' . $blogId . '"', $page['body'], "blog $blogId has its section");
            }
            self::assertStringContainsString('title="' . $prefix . 'site"', $page['body']);
            self::assertStringContainsString('&lt;b&gt;fake&lt;/b&gt;', $page['body'], 'the holder\'s provider, escaped');
            self::assertStringNotContainsString('<b>fake</b>', $page['body']);
            self::assertStringContainsString('/two/wp-admin/admin.php?page=sluice', $page['body']);
            self::assertStringContainsString('assets/status.css', $page['body'], 'the page has its styles');
            self::assertDoesNotMatchRegularExpression('/<b>(Notice|Warning|Deprecated|Fatal error)<\/b>:/', $page['body']);

            $blogAdmin = AdminHttp::loggedInAt(self::DOMAIN, $server['port'], 'blog-admin', 'blog-admin-pass');
            self::assertSame(200, $blogAdmin->get('/wp-admin/')['status'], 'the blog administrator is logged in');
            $refused = $blogAdmin->get('/wp-admin/network/admin.php?page=sluice-network');
            self::assertSame(403, $refused['status']);
            self::assertStringNotContainsString($prefix . 'site', $refused['body']);
            self::assertStringNotContainsString('Sluice status of the network', $refused['body']);
        } finally {
            (new NativeBackend())->release($lease);
            $server['process']->kill(SIGTERM);
            $server['process']->wait(10.0);
        }
    }

    /** @depends testKeysStatusAndReleaseArePerBlogAndHostWideProviderKeysAreShared */
    public function testDeletingABlogDropsItsTables(): void
    {
        self::assertNotSame([], self::tables('wp\_3\_sluice\_%'));
        $deleted = self::inNetwork('require_once ABSPATH . "wp-admin/includes/ms.php"; $r = wp_delete_site(3); echo "RESULT:", json_encode(!is_wp_error($r)), "\n";');
        self::assertTrue($deleted);
        self::assertSame([], self::tables('wp\_3\_sluice\_%'));
        self::assertNotSame([], self::tables('wp\_2\_sluice\_%'), 'other blogs keep theirs');
    }

    /** @depends testDeletingABlogDropsItsTables */
    public function testNetworkUninstallLeavesNothingBehind(): void
    {
        self::inNetwork('
            update_option("sluice_settings", ["site_limit" => 2]);
            update_site_option(SluiceWP\Settings\NetworkSettings::OPTION, ["provider_limits" => ["openai" => 4]]);
            update_site_option("sluice_other_plugin_probe", 1); // another plugin\'s look-alike: it stays
            switch_to_blog(2);
            update_option("sluice_settings", ["site_limit" => 3]);
            set_transient(SluiceWP\Scheduler\OperatorRuns::NOTICE_TRANSIENT . "7", "deferred", 600);
            set_transient("sluice_other_plugin_probe", 1, 600);
            wp_schedule_single_event(time() + 3600, "sluice_other_plugin_probe");
            restore_current_blog();
            echo "RESULT:", json_encode(true), "\n";');
        $uninstalled = self::inNetwork('
            deactivate_plugins("sluice/sluice.php", false, true);
            $r = uninstall_plugin("sluice/sluice.php");
            echo "RESULT:", json_encode([is_plugin_active_for_network("sluice/sluice.php"), is_wp_error($r) ? $r->get_error_message() : true]), "\n";');
        self::assertSame([false, true], $uninstalled);
        self::assertSame([], self::tables('%sluice%'), 'no table of Sluice on any blog, nor the network-wide ones');
        foreach (['wp_options' => [], 'wp_2_options' => ['_transient_sluice_other_plugin_probe', '_transient_timeout_sluice_other_plugin_probe']] as $options => $foreign) {
            self::assertSame($foreign, self::$db?->get_col("SELECT option_name FROM {$options} WHERE option_name LIKE '%sluice%' AND option_name NOT LIKE 'sluice\\_test\\_%' ORDER BY option_name"),
                "$options has no Sluice option left (another plugin's look-alikes stay)");
            $cron = (string) self::option($options, 'cron');
            foreach (\SluiceWP\Lifecycle\Footprint::CRON_HOOKS as $hook) {
                self::assertStringNotContainsString($hook, $cron, "$options has no Sluice cron event left");
            }
        }
        self::assertStringContainsString('sluice_other_plugin_probe', (string) self::option('wp_2_options', 'cron'), 'another plugin\'s cron event stays');
        self::assertSame(['sluice_other_plugin_probe'], self::$db?->get_col("SELECT meta_key FROM wp_sitemeta WHERE meta_key LIKE '%sluice%'"), 'no network option of Sluice is left');
        $log = (string) @file_get_contents(self::$dir . '/debug.log');
        // The plugin's own files (linked or copied for the site), or its messages; not any path with "sluice/" in
        // it: a checkout named sluice puts that in the path of WP-CLI's own deprecation notices too.
        $ours = array_filter(explode("\n", $log), static fn (string $l): bool => str_contains($l, 'wp-plugin/sluice/')
            || str_contains($l, 'plugins/sluice/') || str_contains($l, 'Sluice:'));
        self::assertSame([], array_values($ours), 'Sluice logged nothing on the network site');
    }

    /**
     * The network site served by PHP's built-in server on a free port of
     * 127.0.0.1 (same php.ini and segment as this process).
     *
     * @return array{process: Process, port: int}
     */
    private static function serveNetwork(): array
    {
        $probe = stream_socket_server('tcp://127.0.0.1:0');
        self::assertNotFalse($probe);
        $port = (int) substr(strrchr((string) stream_socket_get_name($probe, false), ':') ?: ':0', 1);
        fclose($probe);
        $log = self::$dir . '/php-server.log';
        $process = Process::logged([PHP_BINARY, '-S', '127.0.0.1:' . $port, '-t', self::$dir, dirname(__DIR__) . '/Admin/bin/network-router.php'], $log);
        $deadline = microtime(true) + 10;
        while (($socket = @fsockopen('127.0.0.1', $port, $errno, $error, 0.2)) === false) {
            if (microtime(true) > $deadline) {
                $process->kill(SIGTERM);
                self::fail('php -S did not listen: ' . @file_get_contents($log));
            }
            usleep(50000);
        }
        fclose($socket);
        return ['process' => $process, 'port' => $port];
    }

    /** @return array<string, mixed> `wp sluice report` on a blog of the network */
    private static function status(string $path): array
    {
        $cli = WpCli::run(['--url=http://' . self::DOMAIN . '/' . $path . '/', 'sluice', 'report'], null, self::$dir);
        self::assertSame(0, $cli->exitCode, (string) $cli);
        return $cli->json();
    }

    /**
     * Runs PHP in a process of the network site (blog at $path) and returns
     * what it printed after "RESULT:", JSON-decoded.
     *
     * @param array<string, mixed> $vars
     */
    private static function inNetwork(string $code, array $vars = [], string $path = '/'): mixed
    {
        return self::network()->php($code, $vars, $path);
    }

    /** @return list<string> tables of the network's database matching a LIKE pattern, sorted */
    private static function tables(string $like): array
    {
        return self::network()->tables($like);
    }

    private static function option(string $table, string $name): ?string
    {
        return self::network()->option($table, $name);
    }

    private static function network(): TestNetwork
    {
        return self::$network ?? throw new RuntimeException('the test network is not up');
    }
}
