<?php
declare(strict_types=1);

namespace Sluice\WpTests\Lifecycle;

use RuntimeException;
use Sluice\WpTests\Cli\WpCli;
use Sluice\WpTests\Gate\GateTestCase;

/**
 * On a network, whether and through which store AI work is gated (enabled,
 * backend, redis_fallback, waiting_line) is the network's choice: a blog
 * that switched gating or the line off would take no host-wide provider key,
 * and one with a store of its own would be granted the shared limit whole
 * again. On the test network (another install on this host) a blog's
 * administrator tries every path (REST, `wp sluice config set` with and
 * without --user, the settings page's form and a forged field in it, the
 * option from code through the settings sanitizer, the network settings
 * page) and the gate uses the network's values even where the blog stored
 * its own before; a network administrator changes them in Network Admin >
 * Sluice > Settings and with `--network`. Until the network sets one, the
 * main site's stored value applies (a network upgraded from per-blog values).
 */
final class NetworkSettingsTest extends GateTestCase
{
    private const DOMAIN = 'sluice-netsettings.test';
    private const BLOG = 'gating';
    private const ADMIN = 'gating-admin';
    /** What a blog stored for itself before these became the network's: every one the other way. */
    private const BLOG_OWN = ['enabled' => false, 'backend' => 'database', 'redis_fallback' => 'ungated', 'waiting_line' => false];
    /** In a process of the blog: the settings the gate reads, the store in use and whether the gate runs. */
    private const IN_FORCE = '$plugin = SluiceWP\Plugin::instance(); $config = $plugin->config;
        echo "RESULT:", json_encode(["enabled" => $config->enabled(), "backend" => $config->backend(), "redis_fallback" => $config->redisFallback(),
            "waiting_line" => $config->waitingLine(), "store" => $plugin->backends->backend()?->name(), "gate" => $plugin->gate() !== null]), "\n";';

    private static ?TestNetwork $network = null;

    public static function setUpBeforeClass(): void
    {
        parent::setUpBeforeClass();
        self::$network = TestNetwork::up('netsettings', self::DOMAIN);
        $made = self::$network->php('
            $r = activate_plugin("sluice/sluice.php", "", true);
            if (is_wp_error($r)) { throw new RuntimeException($r->get_error_message()); }
            $id = wp_insert_site(["domain" => $domain, "path" => "/" . $blog . "/", "title" => $blog, "user_id" => 1]);
            if (is_wp_error($id)) { throw new RuntimeException($id->get_error_message()); }
            $user = wp_insert_user(["user_login" => $admin, "user_pass" => wp_generate_password(), "user_email" => $admin . "@example.org", "role" => ""]);
            add_user_to_blog($id, $user, "administrator");
            switch_to_blog($id);
            update_option("sluice_settings", $own + ["site_limit" => 2]); // stored as a blog could before: no sanitizer outside wp-admin
            restore_current_blog();
            echo "RESULT:", json_encode([$id, is_super_admin($user)]), "\n";', ['blog' => self::BLOG, 'admin' => self::ADMIN, 'own' => self::BLOG_OWN]);
        if (!is_array($made) || $made[1] !== false) {
            throw new RuntimeException('the test blog and its administrator: ' . var_export($made, true));
        }
    }

    public static function tearDownAfterClass(): void
    {
        self::$network?->down();
        parent::tearDownAfterClass();
    }

    public function testTheGateUsesTheNetworksGatingChoicesNeverTheBlogsOwn(): void
    {
        $net = self::network();
        self::assertSame(['enabled' => true, 'backend' => 'auto', 'redis_fallback' => 'database', 'waiting_line' => true, 'store' => 'native', 'gate' => true],
            $net->php(self::IN_FORCE, [], self::BLOG), 'the network set nothing: the defaults, not the blog\'s own off, database, ungated, no line');

        $net->php('update_option("sluice_settings", ["backend" => "database"]); echo "RESULT:1\n";');
        self::assertSame('database', $net->php(self::IN_FORCE, [], self::BLOG)['store'], 'until the network sets one, the main site\'s stored value');

        foreach (['backend' => 'native', 'enabled' => 'true', 'waiting_line' => 'true', 'redis_fallback' => 'database'] as $name => $value) {
            $set = $net->wp('', ['sluice', 'config', 'set', $name, $value, '--network']);
            self::assertSame(0, $set->exitCode, (string) $set);
        }
        $get = $net->wp(self::BLOG, ['sluice', 'config', 'get', 'backend', '--network']);
        self::assertSame('native', trim($get->stdout), (string) $get);
        self::assertSame(['enabled' => true, 'backend' => 'native', 'redis_fallback' => 'database', 'waiting_line' => true, 'store' => 'native', 'gate' => true],
            $net->php(self::IN_FORCE, [], self::BLOG));
        $list = $net->wp(self::BLOG, ['sluice', 'config', 'list', '--format=json']);
        $listed = array_column($list->json(), null, 'name');
        self::assertSame(['true', 'true'], [$listed['waiting_line']['value'], $listed['waiting_line']['stored']], '`wp sluice config list` on the blog: the network\'s value, not the blog\'s own');
        self::assertSame(['native', 'native'], [$listed['backend']['value'], $listed['backend']['stored']]);

        $bad = $net->wp('', ['sluice', 'config', 'set', 'backend', 'shared-memory', '--network']);
        self::assertSame(1, $bad->exitCode, 'a bad network value is refused: ' . $bad);
        self::assertStringContainsString('auto, native, database, redis', $bad->stderr);
        $blogsOwn = $net->wp('', ['sluice', 'config', 'set', 'site_limit', '3', '--network']);
        self::assertSame(1, $blogsOwn->exitCode, (string) $blogsOwn);
        self::assertStringContainsString('site_limit is a setting of each blog', $blogsOwn->stderr);
    }

    /** @depends testTheGateUsesTheNetworksGatingChoicesNeverTheBlogsOwn */
    public function testABlogAdministratorCannotChangeThemThroughRestCliOrTheSettingsPage(): void
    {
        $net = self::network();
        $tried = $net->php('
            $user = get_user_by("login", $admin);
            wp_set_current_user($user->ID);
            require_once ABSPATH . "wp-admin/includes/template.php";
            $out = ["can" => current_user_can("manage_options"), "network_admin" => current_user_can("manage_network_options")];
            foreach (["enabled" => false, "backend" => "database", "redis_fallback" => "ungated", "waiting_line" => false] as $name => $value) {
                $request = new WP_REST_Request("POST", "/sluice/v1/settings");
                $request->set_header("Content-Type", "application/json");
                $request->set_body(wp_json_encode([$name => $value]));
                $response = rest_do_request($request);
                $out["rest"][$name] = [$response->get_status(), $response->as_error()?->get_error_code(), $response->as_error()?->get_error_message()];
            }
            $request = new WP_REST_Request("POST", "/sluice/v1/settings");
            $request->set_header("Content-Type", "application/json");
            $request->set_body(wp_json_encode(["site_limit" => 3]));
            $out["rest_own"] = rest_do_request($request)->get_status();

            // The settings page: no input for them, a note saying where they are changed.
            $plugin = SluiceWP\Plugin::instance();
            $page = new SluiceWP\Admin\SettingsPage($plugin->config, new SluiceWP\Settings\NoDefaults(), "", $plugin->eventLog, static fn (): ?string => "native");
            ob_start();
            foreach (["enabled", "backend", "redis_fallback", "site_limit"] as $name) {
                $page->field(SluiceWP\Settings\Fields::get($name));
            }
            $out["page"] = ob_get_clean();

            // Its form saved (options.php runs the registered sanitizer), with forged fields for the network\'s settings.
            SluiceWP\Admin\SettingsPage::registerSetting(null);
            update_option("sluice_settings", ["_form" => "1", "backend" => "redis", "redis_fallback" => "ungated", "site_limit" => "4"]);
            $afterForm = get_option("sluice_settings");
            // The option from code, through the same sanitizer.
            update_option("sluice_settings", ["enabled" => true, "waiting_line" => true] + get_option("sluice_settings"));
            $out["stored"] = [$afterForm, get_option("sluice_settings")];
            $out["errors"] = array_column(get_settings_errors("sluice_settings"), "message");

            // The network settings page, as the blog administrator.
            add_filter("wp_die_handler", static fn () => static function ($message, $title, $args) { throw new RuntimeException("died " . ($args["response"] ?? 0)); });
            $_POST = $_REQUEST = ["_wpnonce" => wp_create_nonce(SluiceWP\Admin\NetworkSettingsPage::ACTION), "sluice_network_settings" => ["_form" => "1", "backend" => "database"]];
            try {
                (new SluiceWP\Admin\NetworkSettingsPage($plugin->config, static fn () => null))->save();
                $out["network_page"] = "saved";
            } catch (RuntimeException $e) {
                $out["network_page"] = $e->getMessage();
            }
            echo "RESULT:", json_encode($out), "\n";', ['admin' => self::ADMIN], self::BLOG);

        self::assertSame([true, false], [$tried['can'], $tried['network_admin']], 'a blog administrator, not a network administrator');
        foreach ($tried['rest'] as $name => [$status, $code, $message]) {
            self::assertSame([400, 'sluice_network_setting'], [$status, $code], "REST {$name}");
            self::assertStringContainsString("{$name} is a setting of the whole network", (string) $message);
            self::assertStringContainsString('Network Admin > Sluice > Settings', (string) $message);
            self::assertStringContainsString("wp sluice config set {$name} <value> --network", (string) $message);
        }
        self::assertSame(200, $tried['rest_own'], 'the blog\'s own settings still change over REST');

        self::assertStringNotContainsString('name="sluice_settings[enabled]"', $tried['page']);
        self::assertStringNotContainsString('name="sluice_settings[backend]"', $tried['page']);
        self::assertStringNotContainsString('name="sluice_settings[redis_fallback]"', $tried['page']);
        self::assertStringContainsString('name="sluice_settings[site_limit]"', $tried['page'], 'the blog\'s own settings stay editable');
        self::assertStringContainsString('a site cannot change it', $tried['page']);
        self::assertStringContainsString('This site&#039;s own earlier value (Off) is not used', $tried['page']);
        self::assertStringContainsString('<strong id="sluice_backend">Native (PHP extension)</strong>', $tried['page'], 'the network\'s value in effect');

        [$afterForm, $afterCode] = $tried['stored'];
        self::assertSame(['database', 'ungated', 4], [$afterForm['backend'], $afterForm['redis_fallback'], $afterForm['site_limit']],
            'the form changed the blog\'s own setting, not the forged network ones');
        self::assertSame([false, false], [$afterCode['enabled'], $afterCode['waiting_line']], 'the option from code: refused, kept');
        self::assertCount(2, $tried['errors']);
        self::assertStringContainsString('enabled is a setting of the whole network', $tried['errors'][0]);
        self::assertSame('died 403', $tried['network_page']);

        foreach (['--user=' . self::ADMIN, null] as $user) {
            foreach (['enabled' => 'false', 'backend' => 'database', 'redis_fallback' => 'ungated', 'waiting_line' => 'false'] as $name => $value) {
                $set = $net->wp(self::BLOG, array_values(array_filter([$user, 'sluice', 'config', 'set', $name, $value])));
                self::assertSame(1, $set->exitCode, (string) $set);
                self::assertStringContainsString('Network Admin > Sluice > Settings', $set->stderr);
                self::assertStringContainsString("wp sluice config set {$name} <value> --network", $set->stderr);
            }
        }
        self::assertSame(['enabled' => true, 'backend' => 'native', 'redis_fallback' => 'database', 'waiting_line' => true, 'store' => 'native', 'gate' => true],
            $net->php(self::IN_FORCE, [], self::BLOG), 'after every try the gate still uses the network\'s values');
    }

    /** @depends testABlogAdministratorCannotChangeThemThroughRestCliOrTheSettingsPage */
    public function testANetworkAdministratorChangesThemForEveryBlogInNetworkAdmin(): void
    {
        $net = self::network();
        $saved = $net->php('
            wp_set_current_user(1);
            require_once ABSPATH . "wp-admin/includes/template.php"; // submit_button(), loaded in Network Admin
            $plugin = SluiceWP\Plugin::instance();
            $page = new SluiceWP\Admin\NetworkSettingsPage($plugin->config, static fn () => null);
            ob_start();
            $page->render();
            $html = ob_get_clean();
            add_filter("wp_redirect", static function (string $location) { throw new RuntimeException("redirect " . $location); });
            $_POST = $_REQUEST = ["_wpnonce" => wp_create_nonce(SluiceWP\Admin\NetworkSettingsPage::ACTION),
                "sluice_network_settings" => ["_form" => "1", "enabled" => "1", "backend" => "database", "redis_fallback" => "database", "provider_limits" => "netset = 2",
                    "adaptive_limit" => "1", "breaker_failures" => "4"]]; // backoff_give_back\'s box unchecked
            try {
                $page->save();
                $result = "no redirect";
            } catch (RuntimeException $e) {
                $result = $e->getMessage();
            }
            echo "RESULT:", json_encode([$html, $result, get_site_option("sluice_network_settings")]), "\n";', [], '');
        [$html, $result, $stored] = $saved;
        foreach (['enabled', 'backend', 'redis_fallback', 'provider_limits', 'adaptive_limit', 'breaker_failures', 'backoff_give_back', 'exempt_modes'] as $name) {
            self::assertStringContainsString('name="sluice_network_settings[' . $name . ']"', $html);
        }
        self::assertStringContainsString('updated=1', $result, 'saved and sent back');
        ksort($stored);
        self::assertSame(['adaptive_limit' => true, 'backend' => 'database', 'backoff_give_back' => false, 'breaker_failures' => 4, 'enabled' => true,
            'provider_limits' => ['netset' => 2], 'redis_fallback' => 'database', 'waiting_line' => true],
            $stored, 'every setting the page shows, and waiting_line as it was');
        self::assertSame(['enabled' => true, 'backend' => 'database', 'redis_fallback' => 'database', 'waiting_line' => true, 'store' => 'database', 'gate' => true],
            $net->php(self::IN_FORCE, [], self::BLOG), 'the blog uses the network\'s new store');
    }

    /** Sluice's health notice shows in Network Admin too, to network administrators only. */
    public function testTheHealthNoticeShowsInNetworkAdmin(): void
    {
        $shown = self::network()->php('
            SluiceWP\Plugin::instance()->ungated->ranUngated(7, "the store threw");
            require_once ABSPATH . "wp-admin/includes/class-wp-screen.php";
            require_once ABSPATH . "wp-admin/includes/screen.php";
            set_current_screen("dashboard-network");
            $out = ["network_admin" => is_network_admin()];
            foreach (["network administrator" => 1, "blog administrator" => get_user_by("login", $admin)->ID] as $who => $id) {
                wp_set_current_user($id);
                ob_start();
                do_action("network_admin_notices");
                $out[$who] = ob_get_clean();
            }
            SluiceWP\Plugin::instance()->ungated->reset();
            echo "RESULT:", json_encode($out), "\n";', ['admin' => self::ADMIN]);
        self::assertTrue($shown['network_admin']);
        self::assertStringContainsString('sluice-health-ungated_runs', $shown['network administrator'], 'the health problem, in Network Admin');
        self::assertStringContainsString('the store threw', $shown['network administrator']);
        self::assertSame('', $shown['blog administrator'], 'not to a blog\'s administrator there');
    }

    /**
     * The provider protection acts on the records of keys the blogs share (a host-wide provider key), so its
     * settings are the network's too: a blog's own looser ones (stored before they became the network's, or
     * tried now over REST and WP-CLI) are not used and are refused; the network's reach every blog.
     */
    public function testTheProviderProtectionIsTheNetworksToo(): void
    {
        $net = self::network();
        $inForce = '$c = SluiceWP\Plugin::instance()->config;
            echo "RESULT:", json_encode(["adaptive_limit" => $c->adaptiveLimit("fake"), "adaptive_decrease" => $c->adaptiveDecrease(),
                "breaker_failures" => $c->breakerFailures("fake"), "breaker_cooldowns" => $c->breakerCooldowns(), "backoff_give_back" => $c->backoffGiveBack("fake"),
                "direct_call_wait" => $c->directCallWait("fake", "chat"), "mode_limit" => $c->modeLimit("chat"), "exempt_modes" => $c->exemptModes()]), "\n";';
        $loose = ['adaptive_limit' => false, 'adaptive_decrease' => 90, 'breaker_failures' => 0, 'breaker_cooldown' => 1, 'breaker_cooldown_max' => 1,
            'backoff_give_back' => false, 'direct_call_wait' => 0, 'mode_limits' => ['chat' => 7], 'exempt_modes' => ['pipeline']];
        $net->php('
            $network = (array) get_site_option("sluice_network_settings", []);
            update_site_option("sluice_network_settings", array_diff_key($network, $loose));
            foreach ([get_main_site_id(), get_blog_id_from_url($domain, "/" . $blog . "/")] as $id) {
                switch_to_blog($id);
                $own = (array) get_option("sluice_settings", []);
                update_option("sluice_settings", $id === get_main_site_id() ? array_diff_key($own, $loose) : $loose + $own); // as a blog could store before
                restore_current_blog();
            }
            echo "RESULT:1\n";', ['loose' => $loose, 'blog' => self::BLOG, 'domain' => self::DOMAIN]);
        $defaults = ['adaptive_limit' => true, 'adaptive_decrease' => 0.5, 'breaker_failures' => 5, 'breaker_cooldowns' => [30, 600],
            'backoff_give_back' => true, 'direct_call_wait' => 15, 'mode_limit' => 0, 'exempt_modes' => []];
        self::assertSame($defaults, $net->php($inForce, [], self::BLOG), 'the blog\'s own looser protection is not used');

        $tried = $net->php('
            wp_set_current_user(get_user_by("login", $admin)->ID);
            foreach ($loose as $name => $value) {
                $request = new WP_REST_Request("POST", "/sluice/v1/settings");
                $request->set_header("Content-Type", "application/json");
                $request->set_body(wp_json_encode([$name => $value]));
                $response = rest_do_request($request);
                $out[$name] = [$response->get_status(), $response->as_error()?->get_error_code(), $response->as_error()?->get_error_message()];
            }
            echo "RESULT:", json_encode($out), "\n";', ['admin' => self::ADMIN, 'loose' => $loose], self::BLOG);
        foreach ($tried as $name => [$status, $code, $message]) {
            self::assertSame([400, 'sluice_network_setting'], [$status, $code], "REST {$name}");
            self::assertStringContainsString("{$name} is a setting of the whole network on a multisite (it decides how the provider keys the sites share are protected)", (string) $message);
        }
        $set = $net->wp(self::BLOG, ['sluice', 'config', 'set', 'breaker_failures', '0']);
        self::assertSame(1, $set->exitCode, (string) $set);
        self::assertStringContainsString('wp sluice config set breaker_failures <value> --network', $set->stderr);

        foreach (['breaker_failures' => '3', 'adaptive_decrease' => '70', 'exempt_modes' => 'chat', 'mode_limits' => 'chat=2'] as $name => $value) {
            $set = $net->wp('', ['sluice', 'config', 'set', $name, $value, '--network']);
            self::assertSame(0, $set->exitCode, (string) $set);
        }
        $network = ['breaker_failures' => 3, 'adaptive_decrease' => 0.7, 'mode_limit' => 2, 'exempt_modes' => ['chat']] + $defaults;
        self::assertEquals($network, $net->php($inForce, [], self::BLOG), 'the network\'s protection on the blog');
        self::assertEquals($network, $net->php($inForce), 'and on the main site');
    }

    /**
     * The rate budgets are spent together (a host-wide provider key's buckets, the host's steps per second; each
     * acquire sets its bucket's rate), so they are the network's too: a blog's own looser ones are not used and
     * are refused; the network's reach every blog.
     */
    public function testTheRateBudgetsAreTheNetworksToo(): void
    {
        $net = self::network();
        $inForce = '$c = SluiceWP\Plugin::instance()->config;
            echo "RESULT:", json_encode(["rpm" => $c->rpmLimit("fake"), "tpm" => $c->tpmLimit("fake"), "qps" => $c->qpsLimit()]), "\n";';
        $net->php('
            update_site_option("sluice_network_settings", array_diff_key((array) get_site_option("sluice_network_settings", []), array_flip(["rpm_limits", "tpm_limits", "qps_limit"])));
            switch_to_blog(get_blog_id_from_url($domain, "/" . $blog . "/"));
            update_option("sluice_settings", ["rpm_limits" => ["fake" => 1000], "tpm_limits" => ["fake" => 99999], "qps_limit" => 500] + (array) get_option("sluice_settings", []));
            restore_current_blog();
            echo "RESULT:1\n";', ['blog' => self::BLOG, 'domain' => self::DOMAIN]);
        self::assertEquals(['rpm' => 0, 'tpm' => 0, 'qps' => 0], $net->php($inForce, [], self::BLOG), 'the blog\'s own budgets (before: in force) are not used');

        $set = $net->wp(self::BLOG, ['sluice', 'config', 'set', 'rpm_limits', 'fake=5000']);
        self::assertSame(1, $set->exitCode, (string) $set);
        self::assertStringContainsString('rpm_limits is a setting of the whole network on a multisite (it sets the rate budgets the sites spend together', $set->stderr);

        foreach (['rpm_limits' => 'fake=30', 'tpm_limits' => 'fake=2000', 'qps_limit' => '4'] as $name => $value) {
            $set = $net->wp('', ['sluice', 'config', 'set', $name, $value, '--network']);
            self::assertSame(0, $set->exitCode, (string) $set);
        }
        self::assertEquals(['rpm' => 30, 'tpm' => 2000, 'qps' => 4], $net->php($inForce, [], self::BLOG), 'the network\'s budgets on the blog');
        self::assertEquals(['rpm' => 30, 'tpm' => 2000, 'qps' => 4], $net->php($inForce), 'and on the main site');
    }

    /** On a single site (the main test site) every setting is still the site's own. */
    public function testASingleSiteSetsThemItself(): void
    {
        $set = WpCli::sluice(['config', 'set', 'waiting_line', 'false']);
        try {
            self::assertSame(0, $set->exitCode, (string) $set);
            self::assertSame('false', trim(WpCli::sluice(['config', 'get', 'waiting_line'])->stdout));
            $network = WpCli::sluice(['config', 'set', 'waiting_line', 'true', '--network']);
            self::assertSame(1, $network->exitCode, (string) $network);
            self::assertStringContainsString('--network is for a network', $network->stderr);
        } finally {
            WpCli::sluice(['config', 'set', 'waiting_line', 'true']);
        }
    }

    private static function network(): TestNetwork
    {
        return self::$network ?? throw new RuntimeException('the test network is not up');
    }
}
