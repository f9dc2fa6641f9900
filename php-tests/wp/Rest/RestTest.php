<?php
declare(strict_types=1);

namespace Sluice\WpTests\Rest;

use RuntimeException;
use Sluice\WpTests\Admin\AdminHttp;
use Sluice\WpTests\Capacity\LoadedKeys;
use Sluice\WpTests\Cli\WpCli;
use Sluice\WpTests\Gate\GateTestCase;
use Sluice\Support\Process;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Capacity\KeyCapacity;
use WP_Application_Passwords;

/**
 * The REST routes over real HTTP (curl to the stack's nginx + PHP-FPM; plain
 * permalinks, so ?rest_route=): 401 for anonymous callers, 403 for a
 * logged-in subscriber, 200 for an administrator. Callers authenticate with
 * application passwords (turned on over HTTP by the test-only mu-plugin
 * sluice-test-rest.php).
 */
final class RestTest extends GateTestCase
{
    /** @var array<string, array{0: string, 1: string}> role => [login, application password] */
    private static array $callers = [];

    public static function setUpBeforeClass(): void
    {
        parent::setUpBeforeClass();
        $subscriber = get_user_by('login', 'sluice_rest_subscriber');
        $subscriberId = $subscriber ? $subscriber->ID : wp_insert_user([
            'user_login' => 'sluice_rest_subscriber',
            'user_pass' => wp_generate_password(24),
            'user_email' => 'subscriber@example.org',
            'role' => 'subscriber',
        ]);
        if (is_wp_error($subscriberId)) {
            throw new RuntimeException($subscriberId->get_error_message());
        }
        $admin = get_user_by('login', 'admin');
        self::assertNotFalse($admin, 'the test site has its admin user');
        self::assertTrue(user_can($admin, 'manage_options'));
        self::assertFalse(user_can((int) $subscriberId, 'manage_options'));
        foreach (['administrator' => $admin->ID, 'subscriber' => (int) $subscriberId] as $role => $userId) {
            $created = WP_Application_Passwords::create_new_application_password($userId, ['name' => 'sluice-rest-test-' . uniqid()]);
            if (is_wp_error($created)) {
                throw new RuntimeException($created->get_error_message());
            }
            self::$callers[$role] = [(string) get_userdata($userId)->user_login, (string) $created[0]];
        }
    }

    public function testStatusAnswersOnlyAdministrators(): void
    {
        [$code, $body] = self::http('GET', '/sluice/v1/status');
        self::assertSame(401, $code, 'anonymous: ' . json_encode($body));
        self::assertSame('rest_forbidden', $body['code'] ?? null);

        [$code, $body] = self::http('GET', '/sluice/v1/status', 'subscriber');
        self::assertSame(403, $code, 'subscriber: ' . json_encode($body));
        self::assertSame('rest_forbidden', $body['code'] ?? null);

        [$code, $body] = self::http('GET', '/sluice/v1/status', 'administrator');
        self::assertSame(200, $code, 'administrator: ' . json_encode($body));
        self::assertSame(get_current_blog_id(), $body['blog_id']);
        self::assertSame('native', $body['backend']);
    }

    public function testCapacityAnswersOnlyAdministratorsWithTheViewsFields(): void
    {
        [$busy] = LoadedKeys::create(1, 25); // 25 steps a minute holding 2 s at limit 1: rho 0.83, an alert
        self::assertSame(401, self::http('GET', '/sluice/v1/capacity')[0]);
        self::assertSame(403, self::http('GET', '/sluice/v1/capacity', 'subscriber')[0]);

        [$code, $body] = self::http('GET', '/sluice/v1/capacity&window=5&limit=4', 'administrator');
        self::assertSame(200, $code, json_encode($body));
        $rows = array_values(array_filter($body['rows'], static fn (array $row): bool => $row['key'] === $busy));
        self::assertCount(1, $rows, 'one window asked, one row per key');
        self::assertSame(KeyCapacity::FIELDS, array_keys($rows[0]));
        self::assertSame([5, 4], [$rows[0]['window_min'], $rows[0]['limit']], 'the what-if limit');
        self::assertEqualsWithDelta(100 / 300 * 2 / 4, $rows[0]['rho'], 1e-5);
        self::assertSame(1, $body['limits_in_force'][$busy]);
        self::assertSame(4, $body['what_if_limit']);
        self::assertContains(['key' => $busy, 'kind' => 'utilisation'], array_map(
            static fn (array $a): array => ['key' => $a['key'], 'kind' => $a['kind']],
            $body['alerts'],
        ));

        [$code, $body] = self::http('GET', '/sluice/v1/capacity&limit=0', 'administrator');
        self::assertSame([400, 'rest_invalid_param'], [$code, $body['code'] ?? null]);
    }

    public function testStatusIsWhatTheCliPrintsAsJson(): void
    {
        $lease = self::holdSiteSlot(2);
        // Each kind of process records its store when it first uses one: PHP-FPM (this first call) and the CLI.
        self::assertSame(200, self::http('GET', '/sluice/v1/status', 'administrator')[0]);
        $cli = WpCli::sluice(['report']);
        self::assertSame(0, $cli->exitCode, (string) $cli);
        [$code, $rest] = self::http('GET', '/sluice/v1/status', 'administrator');
        self::assertSame(200, $code);
        self::assertEqualsCanonicalizing(['cli', 'web'], array_column($rest['processes'], 'kind'), 'both kinds of process show');

        $tokens = array_column(array_merge(...array_column($rest['keys'], 'holders')), 'token');
        self::assertContains($lease->token, $tokens);
        // The same builder answers both; only the clocks moved between the two calls.
        self::assertSame(self::withoutClocks($cli->json()), self::withoutClocks($rest));
    }

    /** A limit above what the store holds per key (the extension's 64 here) is refused over REST too, naming what raises it. */
    public function testSettingsRefuseALimitAboveWhatTheStoreHolds(): void
    {
        [$code] = self::http('POST', '/sluice/v1/settings', 'subscriber', ['site_limit' => 2]);
        self::assertSame(403, $code);
        [$code, $body] = self::http('POST', '/sluice/v1/settings', 'administrator', ['site_limit' => 65]);
        self::assertSame(400, $code);
        self::assertStringContainsString('at most 64 slots per key', (string) ($body['message'] ?? ''));
        self::assertStringContainsString('sluice.max_slots_per_key', (string) ($body['message'] ?? ''));
        [$code, $settings] = self::http('POST', '/sluice/v1/settings', 'administrator', ['site_limit' => 3]);
        self::assertSame(200, $code);
        self::assertSame(3, $settings['site_limit']);
        self::assertSame(3, self::http('GET', '/sluice/v1/settings', 'administrator')[1]['site_limit'] ?? null);
    }

    /**
     * A store that fails (a database or Redis gone away; the test hooks' knob
     * store_throws): the AI step runs ungated and is counted, and the status,
     * REST, `wp sluice report` and the status page show the error as degraded
     * health instead of ending in a fatal error or a 500.
     */
    public function testAStoreThatFailsIsShownAndItsUngatedRunsCounted(): void
    {
        sluice_test_reset_runs();
        self::sluice(['site_limit' => 1, 'ai_hooks' => ['sluice_test_counted_task']]);
        self::testKnobs(['store_throws' => true]);
        as_schedule_single_action(time() - 1, 'sluice_test_counted_task', [1], 'sluice-store-error');
        self::runQueueOnce();
        self::assertSame(['complete' => 1], Site::actionStatuses('sluice_test_counted_task'), 'it ran, ungated, and did not fail');
        wp_cache_flush();
        $ungated = get_option('sluice_ungated');
        self::assertSame(1, $ungated['count'] ?? null, 'the ungated run was counted');
        self::assertStringContainsString('the lease store went away', (string) ($ungated['last_error'] ?? ''));

        [$code, $rest] = self::http('GET', '/sluice/v1/status', 'administrator');
        self::assertSame(200, $code, 'no 500 when the store throws');
        self::assertSame('degraded', $rest['health']['state']);
        self::assertContains('store_error', array_column($rest['health']['problems'], 'code'));
        self::assertContains('ungated_runs', array_column($rest['health']['problems'], 'code'));
        $cli = WpCli::sluice(['report']);
        self::assertSame(0, $cli->exitCode, (string) $cli);
        self::assertSame(['store_error', 'ungated_runs'], array_values(array_intersect(['store_error', 'ungated_runs'], array_column($cli->json()['health']['problems'], 'code'))));
        $page = AdminHttp::admin()->get('/wp-admin/admin.php?page=sluice');
        self::assertSame(200, $page['status'], 'the status page renders');
        self::assertStringContainsString('The lease store could not be read: sluice test: the lease store went away', html_entity_decode($page['body'], ENT_QUOTES));
        // The errors this test caused on purpose (the gate's, once per ungated decision); anything else fails it.
        $others = array_filter(explode("\n", Site::sluiceErrors()), static fn (string $l): bool => trim($l) !== '' && !str_contains($l, 'the lease store went away'));
        self::assertSame([], array_values($others));
        Site::reset();
    }

    public function testReleaseNeedsAnAdministratorAndFreesTheLease(): void
    {
        $lease = self::holdSiteSlot();

        [$code] = self::http('POST', '/sluice/v1/release', null, ['token' => $lease->token]);
        self::assertSame(401, $code);
        [$code] = self::http('POST', '/sluice/v1/release', 'subscriber', ['token' => $lease->token]);
        self::assertSame(403, $code);
        self::assertSame(1, self::keyStatus(self::siteKey())?->active, 'refused callers released nothing');

        [$code, $body] = self::http('POST', '/sluice/v1/release', 'administrator', ['token' => $lease->token]);
        self::assertSame(200, $code, json_encode($body) ?: '');
        self::assertSame(['released' => true, 'token' => $lease->token], $body);
        self::assertSame(0, self::keyStatus(self::siteKey())?->active, 'the slot is free');
        self::assertFalse((new NativeBackend())->release($lease), 'the lease is no longer held');

        [$code, $body] = self::http('POST', '/sluice/v1/release', 'administrator', ['token' => $lease->token]);
        self::assertSame(404, $code);
        self::assertSame('sluice_not_held', $body['code'] ?? null);

        [$code, $body] = self::http('POST', '/sluice/v1/release', 'administrator', []);
        self::assertSame(400, $code, 'a release without a token is refused: ' . json_encode($body));
    }

    /**
     * One request to the stack's nginx.
     *
     * @param array<string, mixed>|null $json
     * @return array{0: int, 1: array<mixed>}
     */
    private static function http(string $method, string $route, ?string $as = null, ?array $json = null): array
    {
        $command = ['curl', '-s', '--max-time', '30', '-X', $method, '-w', "\n%{http_code}"];
        if ($as !== null) {
            $command[] = '-u';
            $command[] = self::$callers[$as][0] . ':' . self::$callers[$as][1];
        }
        if ($json !== null) {
            array_push($command, '-H', 'Content-Type: application/json', '--data', (string) json_encode((object) $json));
        }
        $command[] = Site::url() . '/?rest_route=' . $route;
        $curl = Process::execute($command, 40.0);
        $out = $curl->stdout;
        $err = $curl->stderr;
        $cut = strrpos($out, "\n");
        self::assertNotFalse($cut, "curl answered nothing: $err");
        $body = json_decode(substr($out, 0, $cut), true);
        return [(int) substr($out, $cut + 1), is_array($body) ? $body : ['raw' => substr($out, 0, $cut)]];
    }

    /**
     * The report without what a clock changes between two reads (ages, time left).
     *
     * @param array<mixed> $data
     * @return array<mixed>
     */
    private static function withoutClocks(array $data): array
    {
        foreach ($data as $name => $value) {
            if (is_string($name) && str_ends_with($name, '_ms')) {
                unset($data[$name]);
            } elseif (is_array($value)) {
                $data[$name] = self::withoutClocks($value);
            }
        }
        return $data;
    }
}
