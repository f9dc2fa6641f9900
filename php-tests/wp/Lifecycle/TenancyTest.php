<?php
declare(strict_types=1);

namespace Sluice\WpTests\Lifecycle;

use RuntimeException;
use Sluice\WpTests\Cli\WpCli;
use Sluice\WpTests\Gate\GateTestCase;

/**
 * Blogs of a network, and installs of a host, kept apart: on the test
 * network (another install on this host, sharing the extension's segment
 * and the Redis with the main test site), on every backend.
 *
 * The waiting line, where Action Scheduler's action ids are unique only per
 * blog: two blogs of the test network (another install on
 * this host, sharing the extension's segment with the main test site) run
 * the same AI task as the same action ids at once, each through real queue
 * runners with one action a claim and a site limit of 1. On each blog a
 * runner holds the slot with action N and is SIGKILLed; meanwhile N+1 and
 * N+2 are deferred as copies (with the same ids on both blogs) that wait in
 * the line behind a two-minute timer. One blog's sweep then takes only its
 * own blog's stranded action and wakes only its own copy; the other blog's
 * copies and event log stay as they were until its own sweep. The main test
 * site, another install, sweeps first and takes nothing of the network's.
 *
 * Admin rights: a blog's administrator sees another blog's holder on a
 * host-wide key without its token, pid, host, label or action id (the status
 * page's sections, the REST status, `wp sluice holders --user=...`), cannot
 * release it, and cannot reset the host-wide key; a network administrator
 * and WP-CLI without --user (the host's operator) see and may do both.
 */
final class TenancyTest extends GateTestCase
{
    private const DOMAIN = 'sluice-lines.test';
    /** Where the ids of each blog's actions, and then of their copies, start: the same on both blogs. */
    private const FIRST_ID = 1000;
    private const FIRST_COPY_ID = 2000;
    /** One queue run as WP-Cron's (support/WordPress/run-queue.php), one action a claim, runners side by side. */
    private const RUN_QUEUE = 'add_filter("action_scheduler_queue_runner_batch_size", static fn (): int => 1);
        add_filter("action_scheduler_queue_runner_concurrent_batches", static fn (): int => 10);
        do_action("action_scheduler_run_queue", "WP CLI");';

    private static ?TestNetwork $network = null;

    public static function setUpBeforeClass(): void
    {
        parent::setUpBeforeClass();
        self::$network = TestNetwork::up('lines', self::DOMAIN);
        $active = self::$network->php('$r = activate_plugin("sluice/sluice.php", "", true); echo "RESULT:", json_encode(is_wp_error($r) ? $r->get_error_message() : is_plugin_active_for_network("sluice/sluice.php")), "\n";');
        if ($active !== true) {
            throw new RuntimeException('network activation: ' . var_export($active, true));
        }
    }

    public static function tearDownAfterClass(): void
    {
        self::$network?->down();
        parent::tearDownAfterClass();
    }

    /** @return array<string, array{string}> */
    public static function backends(): array
    {
        return ['native' => ['native'], 'database' => ['database'], 'redis' => ['redis']];
    }

    /** @dataProvider backends */
    public function testTwoBlogsWithTheSameActionIdsKeepTheirLineWakesAndStrandedWorkApart(string $backend): void
    {
        $net = self::network();
        $paths = [$backend . '-a', $backend . '-b'];
        $blogs = $this->newBlogs($paths, [
            'backend' => $backend, 'site_limit' => 1, 'ai_hooks' => ['sluice_test_ai_task'],
            'throttle_delay' => 120, 'throttle_delay_max' => 120, 'waiting_line' => true,
        ]);
        foreach ($blogs as $path => $blogId) {
            $ids = $net->php('
                $wpdb->query("ALTER TABLE {$wpdb->prefix}actionscheduler_actions AUTO_INCREMENT = " . (int) $first);
                echo "RESULT:", json_encode([as_enqueue_async_action("sluice_test_ai_task"), as_enqueue_async_action("sluice_test_ai_task"), as_enqueue_async_action("sluice_test_ai_task")]), "\n";',
                ['first' => self::FIRST_ID], $path);
            self::assertSame([self::FIRST_ID, self::FIRST_ID + 1, self::FIRST_ID + 2], $ids, "blog {$blogId}'s three tasks");
        }

        // On each blog a runner takes action N and holds the slot.
        $holders = [];
        foreach ($blogs as $path => $blogId) {
            $holders[$path] = $net->start(self::RUN_QUEUE, [], $path);
        }
        foreach ($holders as $holder) {
            $holder->expectLine('ai task running', 60.0);
        }
        // N+1 and N+2 are deferred on both blogs at once; their copies get the same ids on both.
        foreach ($blogs as $blogId) {
            $net->db->query("ALTER TABLE wp_{$blogId}_actionscheduler_actions AUTO_INCREMENT = " . self::FIRST_COPY_ID);
        }
        $deferring = [];
        foreach (array_keys($blogs) as $path) {
            $deferring[$path] = $net->start(self::RUN_QUEUE, [], $path);
        }
        foreach ($deferring as $path => $runner) {
            self::assertSame(0, $runner->wait(), "the deferring runner of {$path}: " . $runner->output());
        }
        $copies = [self::FIRST_COPY_ID, self::FIRST_COPY_ID + 1];
        foreach ($blogs as $blogId) {
            self::assertSame(['canceled', 'canceled'], $this->statuses($blogId, [self::FIRST_ID + 1, self::FIRST_ID + 2]), "blog {$blogId}: N+1 and N+2 were deferred");
            self::assertSame(['pending', 'pending'], $this->statuses($blogId, $copies), "blog {$blogId}: as copies with the same ids on both blogs");
            self::assertSame(['future', 'future'], $this->due($blogId, $copies), "blog {$blogId}: the copies wait for a wake (their timer is two minutes away)");
        }
        foreach ($blogs as $path => $blogId) {
            $line = $net->php('
                $line = SluiceWP\Plugin::instance()->backends->backend()->line();
                $mine = SluiceWP\Backend\Scope::current();
                $refs = [];
                foreach ($line as $queue) {
                    foreach ($queue->tickets as $t) {
                        $refs[$queue->scope === $mine ? "own" : "other"][] = $t->ref;
                    }
                }
                echo "RESULT:", json_encode($refs), "\n";', [], $path);
            self::assertSame($copies, $line['own'] ?? [], "blog {$blogId}'s two tickets follow its own copies");
            self::assertSame($copies, $line['other'] ?? [], "and the other blog's two tickets, of the same ids, are apart from them");
        }

        foreach ($holders as $holder) {
            $holder->kill(9);
            $holder->wait();
        }
        if ($backend === 'native') {
            // The main test site is another install on this host, with the same segment: its sweep takes nothing of the network's.
            $sweep = WpCli::sluice(['sweep']);
            self::assertSame(0, $sweep->exitCode, (string) $sweep);
            self::assertSame([], self::mainSiteStranded(), 'install A took no stranded entry of install B');
        }

        [$pathA, $pathB] = $paths;
        [$a, $b] = [$blogs[$pathA], $blogs[$pathB]];
        $before = $this->snapshot($b);
        $this->sweep($pathA);
        self::assertSame([self::FIRST_ID], $this->stranded($a), "blog {$a}'s sweep took its own killed holder's action id");
        self::assertSame(['due', 'future'], $this->due($a, $copies), "blog {$a}'s first copy was woken, its second waits");
        self::assertSame($before, $this->snapshot($b), "blog {$a}'s sweep changed nothing of blog {$b}: its copies and its event log are as they were");

        $before = $this->snapshot($a);
        $this->sweep($pathB);
        self::assertSame([self::FIRST_ID], $this->stranded($b), "blog {$b}'s sweep took its own killed holder's action id");
        self::assertSame(['due', 'future'], $this->due($b, $copies), "blog {$b}'s first copy was woken by its own sweep");
        self::assertSame($before, $this->snapshot($a), "blog {$b}'s sweep changed nothing of blog {$a}");
    }

    /** @dataProvider backends */
    public function testABlogAdministratorSeesOtherSitesHoldersRedactedAndCannotResetAHostWideKey(string $backend): void
    {
        $net = self::network();
        [$pathA, $pathB] = $paths = ['rights-' . $backend . '-a', 'rights-' . $backend . '-b'];
        $this->newBlogs($paths, ['backend' => $backend]);
        $shared = 'sluice/provider:tenancy-' . $backend;
        $tokens = [];
        $holders = [];
        foreach ([$pathA => 'own-step', $pathB => 'secret-step'] as $path => $step) {
            // A step of each blog holds the host-wide key through its blog's store, as the gate takes it.
            $holders[$path] = $net->start('
                $lease = SluiceWP\Plugin::instance()->backends->backend()?->tryAcquire([SluiceWP\Gate\KeyNames::forBlog()->site() => 1, $shared => 5], 600, "action 77 / job 7 / step " . $step . " / openai");
                echo "held ", $lease instanceof SluiceWP\Backend\Lease ? $lease->token : "none", "\n";
                sleep(120);', ['shared' => $shared, 'step' => $step], $path);
            $tokens[$path] = self::heldToken($holders[$path]);
        }
        try {
            $admin = 'tenancy-admin-' . $backend;
            $seen = $net->php('
                $user = username_exists($admin) ?: wp_insert_user(["user_login" => $admin, "user_pass" => wp_generate_password(), "user_email" => $admin . "@example.org", "role" => "administrator"]);
                $plugin = SluiceWP\Plugin::instance();
                $out = [];
                foreach (["blog_admin" => (int) $user, "network_admin" => 1] as $who => $id) {
                    wp_set_current_user($id);
                    $report = $plugin->siteStatus()->report();
                    $source = new SluiceWP\Admin\StatusSource($plugin->siteStatus(), $plugin->config, $plugin->eventLog, $plugin->samples);
                    $sections = new SluiceWP\Admin\StatusSections($report, $source);
                    $rest = rest_do_request(new WP_REST_Request("GET", "/sluice/v1/status"));
                    // Only the blog administrator tries: the network administrator would release and reset for real.
                    $reset = $plugin->siteStatus()->resetRefusal($shared);
                    if ($who === "blog_admin") {
                        try {
                            $plugin->siteStatus()->reset($shared);
                            $reset = "reset";
                        } catch (SluiceWP\Status\NotAllowed $e) {
                            $reset = "refused: " . $e->getMessage();
                        }
                    }
                    $out[$who] = [
                        "can" => current_user_can("manage_options"),
                        "holders" => array_map(static fn ($h) => [$h->token, $h->pid, $h->host, $h->label, $h->ref, $h->redacted], $report->key($shared)?->status->holders ?? []),
                        "page" => $sections->keys() . $sections->holders(),
                        "rest" => [$rest->get_status(), wp_json_encode($rest->get_data())],
                        "release" => $who === "blog_admin" && $plugin->siteStatus()->release($otherToken),
                        "reset" => $reset,
                    ];
                }
                echo "RESULT:", json_encode($out), "\n";', ['admin' => $admin, 'shared' => $shared, 'otherToken' => $tokens[$pathB]], $pathA);

            $blogAdmin = $seen['blog_admin'];
            self::assertTrue($blogAdmin['can'], 'the blog\'s administrator may see its status page');
            $byToken = array_column($blogAdmin['holders'], null, 0);
            self::assertArrayHasKey($tokens[$pathA], $byToken, 'its own blog\'s holder, in full');
            self::assertStringContainsString('own-step', $byToken[$tokens[$pathA]][3]);
            self::assertSame([['', 0, '', '', 0, true]], array_values(array_filter($blogAdmin['holders'], static fn (array $h): bool => $h[5])),
                'the other blog\'s holder: no token, pid, host, label or action id');
            self::assertStringContainsString('another site&#039;s step', $blogAdmin['page']);
            self::assertStringContainsString('a network administrator resets it', $blogAdmin['page'], 'no reset button on the host-wide key');
            self::assertSame(200, $blogAdmin['rest'][0]);
            foreach (['page', 'rest'] as $surface) {
                $text = is_array($blogAdmin[$surface]) ? $blogAdmin[$surface][1] : $blogAdmin[$surface];
                self::assertStringNotContainsString($tokens[$pathB], $text, "{$surface}: not the other blog's token");
                self::assertStringNotContainsString('secret-step', $text, "{$surface}: nor its label");
            }
            self::assertFalse($blogAdmin['release'], 'nor may it release the other blog\'s lease');
            self::assertStringStartsWith('refused: ', $blogAdmin['reset']);
            self::assertStringContainsString('manage_network_options', $blogAdmin['reset']);

            $networkAdmin = $seen['network_admin'];
            self::assertSame([], array_values(array_filter($networkAdmin['holders'], static fn (array $h): bool => $h[5])), 'a network administrator sees every holder');
            self::assertNull($networkAdmin['reset'], 'and may reset the host-wide key');
            self::assertStringContainsString('secret-step', $networkAdmin['page']);
            self::assertStringContainsString($tokens[$pathB], $networkAdmin['rest'][1]);

            $cliAsAdmin = $net->wp($pathA, ['--user=' . $admin, 'sluice', 'holders', '--format=json', '--fields=key,token,label,redacted']);
            self::assertSame(0, $cliAsAdmin->exitCode, (string) $cliAsAdmin);
            self::assertStringNotContainsString($tokens[$pathB], $cliAsAdmin->stdout, 'wp sluice holders as the blog\'s administrator');
            self::assertStringNotContainsString('secret-step', $cliAsAdmin->stdout);
            $cliOperator = $net->wp($pathA, ['sluice', 'holders', '--format=json', '--fields=key,token,label,redacted']);
            self::assertStringContainsString($tokens[$pathB], $cliOperator->stdout, 'WP-CLI without --user is the host\'s operator');
            $resetAsAdmin = $net->wp($pathA, ['--user=' . $admin, 'sluice', 'reset', $shared, '--yes']);
            self::assertSame(1, $resetAsAdmin->exitCode, (string) $resetAsAdmin);
            self::assertStringContainsString('manage_network_options', $resetAsAdmin->stderr);
            self::assertSame(2, $this->activeOn($pathA, $shared), 'both blogs\' leases still hold the host-wide key');
            $resetByOperator = $net->wp($pathA, ['sluice', 'reset', $shared, '--yes']);
            self::assertSame(0, $resetByOperator->exitCode, (string) $resetByOperator);
            self::assertSame(0, $this->activeOn($pathA, $shared));
        } finally {
            foreach ($holders as $holder) {
                $holder->kill(9);
                $holder->wait();
            }
        }
    }

    /**
     * On a network a host-wide provider key's limit is the network's: a blog asking for more does not raise it,
     * a blog asking for less takes a key of its own beside it (its own use only), and 0 does not skip it.
     */
    public function testHostWideProviderLimitsComeFromTheNetworkAndABlogMayOnlyLowerItsOwnUse(): void
    {
        $net = self::network();
        $set = $net->wp('', ['sluice', 'config', 'set', 'provider_limits', 'tenancy=3', '--network']);
        self::assertSame(0, $set->exitCode, (string) $set);
        $get = $net->wp('', ['sluice', 'config', 'get', 'provider_limits', '--network', '--format=json']);
        self::assertSame(['tenancy' => 3], $get->json());
        $bad = $net->wp('', ['sluice', 'config', 'set', 'provider_limits', 'tenancy=lots', '--network']);
        self::assertSame(1, $bad->exitCode, 'a bad network limit is refused: ' . $bad);
        self::assertStringContainsString('tenancy', $bad->stderr);

        $own = ['limits-higher' => 5, 'limits-lower' => 1, 'limits-zero' => 0];
        $blogs = [];
        foreach ($own as $path => $limit) {
            $blogs += $this->newBlogs([$path], ['provider_limits' => ['tenancy' => $limit]]);
        }
        $keys = [];
        foreach (array_keys($own) as $path) {
            $keys[$path] = $net->php('
                add_filter("sluice_provider_key_host_wide", static fn (bool $shared, string $provider): bool => $provider === "tenancy", 10, 2);
                $work = new SluiceWP\Gate\AiWork(new SluiceWP\Gate\ScheduledAction(7, "sluice_test_ai_task", [], "", 10, false), "tenancy");
                echo "RESULT:", json_encode(SluiceWP\Gate\KeyNames::forBlog()->limitsFor($work, SluiceWP\Plugin::instance()->config)), "\n";', [], $path);
        }
        $site = static fn (string $path): string => 'sluice/' . self::installId() . '/' . $blogs[$path] . '/';
        self::assertSame([$site('limits-higher') . 'site' => 1, 'sluice/provider:tenancy' => 3], $keys['limits-higher'], 'a blog cannot raise the shared limit');
        self::assertSame([$site('limits-lower') . 'site' => 1, 'sluice/provider:tenancy' => 3, $site('limits-lower') . 'provider:tenancy' => 1], $keys['limits-lower'],
            'a lower limit caps the blog\'s own use on a key of its own');
        self::assertSame([$site('limits-zero') . 'site' => 1, 'sluice/provider:tenancy' => 3], $keys['limits-zero'], '0 does not skip the shared key');
    }

    /** The test network's install id (the main site's option sluice_install_id). */
    private static function installId(): string
    {
        return (string) self::network()->option('wp_options', 'sluice_install_id');
    }

    /** The token a holder process printed ("held <token>"). */
    private static function heldToken(\Sluice\Support\WordPress\Runner $holder): string
    {
        $deadline = microtime(true) + 60;
        while (preg_match('/^held ([0-9a-f]{32,64})$/m', $holder->output(), $m) !== 1) {
            if (microtime(true) > $deadline || str_contains($holder->output(), 'held none')) {
                self::fail("the holder took no lease:\n" . $holder->output());
            }
            usleep(20000);
        }
        return $m[1];
    }

    /** How many leases hold $key, as `wp sluice report` on the blog at $path shows it. */
    private function activeOn(string $path, string $key): int
    {
        $report = self::network()->wp($path, ['sluice', 'report']);
        self::assertSame(0, $report->exitCode, (string) $report);
        return (int) (array_column($report->json()['keys'], 'active', 'key')[$key] ?? 0);
    }

    /**
     * New blogs of the network (fresh Action Scheduler tables) with these Sluice settings (the network's ones,
     * such as backend, for the whole network); their AI task holds its slot until its runner is killed.
     *
     * @param list<string>         $paths
     * @param array<string, mixed> $settings
     * @return array<string, int> path => blog id
     */
    private function newBlogs(array $paths, array $settings): array
    {
        $blogs = self::network()->php('
            // Whether and through which store AI work is gated is the network\'s choice (NetworkSettings), not a blog\'s.
            $network = array_intersect_key($settings, array_flip(SluiceWP\Settings\Fields::NETWORK_WIDE));
            update_site_option("sluice_network_settings", $network + (array) get_site_option("sluice_network_settings", []));
            $ids = [];
            foreach ($paths as $path) {
                $id = wp_insert_site(["domain" => $domain, "path" => "/" . $path . "/", "title" => $path, "user_id" => 1]);
                if (is_wp_error($id)) { throw new RuntimeException($id->get_error_message()); }
                switch_to_blog($id);
                update_option("sluice_settings", $settings);
                update_option("sluice_test_knobs", ["ai_task_hold" => true]);
                restore_current_blog();
                $ids[$path] = $id;
            }
            echo "RESULT:", json_encode($ids), "\n";', ['paths' => $paths, 'settings' => $settings]);
        self::assertIsArray($blogs);
        return array_map('intval', $blogs);
    }

    /** The gate's sweep in a process of one blog, as its queue runs and its WP-Cron sweep run it. */
    private function sweep(string $path): void
    {
        $result = self::network()->wp($path, ['sluice', 'sweep']);
        self::assertSame(0, $result->exitCode, (string) $result);
    }

    /** @return list<int> action ids of the blog's stranded events */
    private function stranded(int $blogId): array
    {
        return array_map('intval', self::network()->db->get_col("SELECT action_id FROM wp_{$blogId}_sluice_events WHERE event = 'stranded' ORDER BY id"));
    }

    /**
     * @param list<int> $ids
     * @return list<string> each action's status
     */
    private function statuses(int $blogId, array $ids): array
    {
        return array_map(fn (int $id): string => (string) self::network()->db->get_var("SELECT status FROM wp_{$blogId}_actionscheduler_actions WHERE action_id = {$id}"), $ids);
    }

    /**
     * @param list<int> $ids
     * @return list<string> 'due' (a runner takes it now) or 'future' for each pending action
     */
    private function due(int $blogId, array $ids): array
    {
        return array_map(fn (int $id): string => (string) self::network()->db->get_var(
            "SELECT IF(scheduled_date_gmt <= UTC_TIMESTAMP(), 'due', 'future') FROM wp_{$blogId}_actionscheduler_actions WHERE action_id = {$id} AND status = 'pending'",
        ), $ids);
    }

    /** @return array{actions: list<array<string, mixed>>, events: list<array<string, mixed>>} a blog's actions and Sluice events */
    private function snapshot(int $blogId): array
    {
        $db = self::network()->db;
        return [
            'actions' => $db->get_results("SELECT action_id, status, scheduled_date_gmt, claim_id FROM wp_{$blogId}_actionscheduler_actions ORDER BY action_id", ARRAY_A),
            'events' => $db->get_results("SELECT id, event, action_id FROM wp_{$blogId}_sluice_events ORDER BY id", ARRAY_A),
        ];
    }

    /** @return list<string> action ids of the main test site's stranded events */
    private static function mainSiteStranded(): array
    {
        global $wpdb;
        return $wpdb->get_col("SELECT action_id FROM {$wpdb->prefix}sluice_events WHERE event = 'stranded'");
    }

    private static function network(): TestNetwork
    {
        return self::$network ?? throw new RuntimeException('the test network is not up');
    }
}
