<?php
declare(strict_types=1);

namespace Sluice\WpTests\Cli;

use Sluice\WpTests\Gate\GateTestCase;
use Sluice\Support\WordPress\Runner;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Settings\Config;

/**
 * `wp sluice ...` as operators run it: the real WP-CLI binary (Composer's
 * wp-cli/wp-cli 2.11, tools/wp-cli) in its own process against the test
 * site, sharing the segment with this process; output and exit codes checked,
 * bad input answered with a non-zero exit and a message that names the problem.
 */
final class CliTest extends GateTestCase
{
    private const HOST_WIDE = 'sluice/provider:cli-test';
    private const OTHER_SITE = 'sluice/0000000000/99/site';

    public function testStatusJsonShowsThisSitesKeysCountersAndHoldersButNoOtherSitesKeys(): void
    {
        $backend = new NativeBackend();
        $lease = $backend->tryAcquire([self::siteKey() => 2, self::HOST_WIDE => 3], 600, 'cli test holder');
        $other = $backend->tryAcquire([self::OTHER_SITE => 1], 600, 'another site');
        self::assertInstanceOf(Lease::class, $lease);
        self::assertInstanceOf(Lease::class, $other);

        $cli = WpCli::sluice(['report']);
        self::assertSame(0, $cli->exitCode, (string) $cli);
        $report = $cli->json();
        self::assertSame(get_current_blog_id(), $report['blog_id']);
        self::assertSame('native', $report['backend']);
        self::assertNull($report['backend_unavailable']);
        self::assertTrue($report['enabled']);
        $keys = array_column($report['keys'], null, 'key');
        self::assertArrayHasKey(self::siteKey(), $keys);
        self::assertArrayHasKey(self::HOST_WIDE, $keys, 'host-wide provider keys are every site\'s');
        self::assertArrayNotHasKey(self::OTHER_SITE, $keys, 'another site\'s key stays out of this site\'s status');
        $site = $keys[self::siteKey()];
        self::assertSame('site', $site['scope']);
        self::assertSame('host', $keys[self::HOST_WIDE]['scope']);
        self::assertSame(2, $site['limit']);
        self::assertSame(1, $site['active']);
        self::assertGreaterThanOrEqual(1, $site['peak']);
        self::assertGreaterThanOrEqual(1, $site['acquired']);
        foreach (['throttled', 'released', 'reclaimed_dead', 'reclaimed_expired'] as $counter) {
            self::assertIsInt($site[$counter], $counter);
        }
        self::assertCount(1, $site['holders']);
        $holder = $site['holders'][0];
        self::assertSame($lease->token, $holder['token']);
        self::assertSame(getmypid(), $holder['pid']);
        self::assertSame('cli test holder', $holder['label']);
        self::assertFalse($holder['request_open']);
        self::assertGreaterThan(0, $holder['ttl_left_ms']);

        // The lists, through WP-CLI's Formatter: one row per key, per holder.
        $list = WpCli::sluice(['status', '--format=json']);
        self::assertSame(0, $list->exitCode, (string) $list);
        $rows = array_column($list->json(), null, 'key');
        self::assertSame(array_keys($keys), array_keys($rows), 'status lists the report\'s keys');
        self::assertSame(['site', 1, 2], [$rows[self::siteKey()]['scope'], $rows[self::siteKey()]['active'], $rows[self::siteKey()]['limit']]);
        $holders = WpCli::sluice(['holders', '--format=json', '--fields=key,token,label,request_open']);
        self::assertSame(0, $holders->exitCode, (string) $holders);
        self::assertContains(['key' => self::siteKey(), 'token' => $lease->token, 'label' => 'cli test holder', 'request_open' => false], $holders->json());
        $count = WpCli::sluice(['holders', '--format=count']);
        self::assertSame('2', trim($count->stdout), 'one lease on two keys: two holder rows');
        $backend->release($other);
    }

    public function testStatusShowsTheWaitingLineOfThisSiteOnly(): void
    {
        $backend = new NativeBackend();
        self::assertTrue($backend->lineAvailable(), 'this build of the extension has the waiting line');
        $held = self::holdSiteSlot();
        $ours = $backend->enqueue([self::siteKey() => 1], 4242, 'flow-a', 1, 0);
        $theirs = $backend->enqueue([self::OTHER_SITE => 1], 4343, 'flow-b', 1, 0);
        try {
            $cli = WpCli::sluice(['report', '--format=json']);
            self::assertSame(0, $cli->exitCode, (string) $cli);
            $report = $cli->json();
            self::assertArrayHasKey('line', $report, 'the store has a waiting line');
            $refs = [];
            foreach ($report['line'] as $queue) {
                self::assertArrayHasKey(self::siteKey(), $queue['keys'], 'only queues on this site\'s keys');
                $refs = array_merge($refs, array_column($queue['tickets'], 'ref'));
            }
            self::assertSame([4242], $refs);

            $line = WpCli::sluice(['line', '--format=csv', '--fields=tenant,ref,state']);
            self::assertSame(0, $line->exitCode, (string) $line);
            self::assertSame("tenant,ref,state\nflow-a,4242,waiting", trim($line->stdout), 'one ticket of this site, in WP-CLI\'s CSV');
        } finally {
            $backend->cancelTicket($ours->token);
            $backend->cancelTicket($theirs->token);
            unset($held);
        }
    }

    public function testStatusTableAndYaml(): void
    {
        $lease = self::holdSiteSlot(2);

        $table = WpCli::sluice(['status']);
        self::assertSame(0, $table->exitCode, (string) $table);
        self::assertStringContainsString(self::siteKey(), $table->stdout);
        $holders = WpCli::sluice(['holders']);
        self::assertSame(0, $holders->exitCode, (string) $holders);
        self::assertStringContainsString($lease->token, $holders->stdout);

        $yaml = WpCli::sluice(['status', '--format=yaml']);
        self::assertSame(0, $yaml->exitCode, (string) $yaml);
        self::assertStringContainsString('key: ' . self::siteKey(), $yaml->stdout);
        $yaml = WpCli::sluice(['holders', '--format=yaml']);
        self::assertStringContainsString('token: ' . $lease->token, $yaml->stdout);
        $report = WpCli::sluice(['report', '--format=yaml']);
        self::assertSame(0, $report->exitCode, (string) $report);
        self::assertStringContainsString('backend: native', $report->stdout, 'the report in YAML, not JSON');
        self::assertStringContainsString('token: ' . $lease->token, $report->stdout);

        $bad = WpCli::sluice(['status', '--format=xml']);
        self::assertNotSame(0, $bad->exitCode, (string) $bad);
        self::assertStringContainsString('format', $bad->stderr);
    }

    public function testReleaseFreesTheLeaseOnceAndRefusesUnknownOrOtherSitesTokens(): void
    {
        $lease = self::holdSiteSlot();
        // Another site's lease, on its site key and a host-wide provider key this site sees too.
        $foreign = (new NativeBackend())->tryAcquire([self::OTHER_SITE => 1, self::HOST_WIDE => 3], 600, 'another site');
        self::assertInstanceOf(Lease::class, $foreign);

        $released = WpCli::sluice(['release', $lease->token]);
        self::assertSame(0, $released->exitCode, (string) $released);
        self::assertStringContainsString('Released lease ' . $lease->token, $released->stdout);
        self::assertSame(0, self::keyStatus(self::siteKey())?->active, 'the slot is free again');

        $again = WpCli::sluice(['release', $lease->token]);
        self::assertSame(1, $again->exitCode, (string) $again);
        self::assertStringContainsString('No lease with token ' . $lease->token, $again->stderr);

        $unknown = WpCli::sluice(['release', 'not-a-token']);
        self::assertSame(1, $unknown->exitCode, (string) $unknown);
        self::assertStringContainsString('No lease with token not-a-token', $unknown->stderr);

        $other = WpCli::sluice(['release', $foreign->token]);
        self::assertSame(1, $other->exitCode, 'another site\'s lease is not this site\'s to release: ' . $other);
        self::assertSame(1, self::keyStatus(self::OTHER_SITE)?->active);
        (new NativeBackend())->release($foreign);

        $missing = WpCli::sluice(['release']);
        self::assertNotSame(0, $missing->exitCode, (string) $missing);
    }

    public function testResetAsksFirstThenDropsEveryLeaseOfTheKey(): void
    {
        $first = self::holdSiteSlot(2);
        $second = self::holdSiteSlot(2);

        $declined = WpCli::sluice(['reset', 'site'], "n\n");
        self::assertSame(0, $declined->exitCode, (string) $declined);
        self::assertSame(2, self::keyStatus(self::siteKey())?->active, 'answering no keeps the leases');

        $reset = WpCli::sluice(['reset', 'site', '--yes']);
        self::assertSame(0, $reset->exitCode, (string) $reset);
        self::assertStringContainsString('Reset ' . self::siteKey() . ': 2 leases dropped.', $reset->stdout);
        self::assertSame(0, self::keyStatus(self::siteKey())?->active);

        $byFullName = WpCli::sluice(['reset', self::siteKey(), '--yes']);
        self::assertSame(0, $byFullName->exitCode, (string) $byFullName);
        self::assertStringContainsString('0 leases dropped', $byFullName->stdout);

        $unknown = WpCli::sluice(['reset', 'provider:nobody', '--yes']);
        self::assertSame(1, $unknown->exitCode, (string) $unknown);
        self::assertStringContainsString('No key "provider:nobody" on this site', $unknown->stderr);
        self::assertStringContainsString(self::siteKey(), $unknown->stderr, 'the error lists the site\'s keys');
        unset($first, $second);
    }

    public function testSweepReclaimsAKilledHoldersLease(): void
    {
        $holder = Runner::php('$l = new Sluice\Limiter([$key => 1], 600); $lease = $l->tryAcquire("doomed"); echo $lease ? "held\n" : "refused\n"; sleep(60);', ['key' => self::siteKey()]);
        $holder->expectLine('held');
        $holder->kill();
        $holder->wait();

        $sweep = WpCli::sluice(['sweep']);
        self::assertSame(0, $sweep->exitCode, (string) $sweep);
        self::assertStringContainsString('Swept 1 dead or expired lease.', $sweep->stdout);
        self::assertSame(0, self::keyStatus(self::siteKey())?->active);
    }

    public function testConfigSetStoresValidValuesAndRefusesBadOnesWithTheReason(): void
    {
        $set = WpCli::sluice(['config', 'set', 'site_limit', '3']);
        self::assertSame(0, $set->exitCode, (string) $set);
        self::assertStringContainsString('Set site_limit to 3.', $set->stdout);
        self::assertSame(3, self::stored()['site_limit'] ?? null);
        $get = WpCli::sluice(['config', 'get', 'site_limit']);
        self::assertSame(0, $get->exitCode, (string) $get);
        self::assertSame('3', trim($get->stdout));

        $refused = [
            ['site_limit', '0', 'site_limit'],
            ['site_limit', 'three', 'three'],
            ['lease_ttl', '5', 'lease_ttl'],
            ['backend', 'memcached', 'backend'],
            ['enabled', 'maybe', 'enabled'],
            ['provider_limits', 'openai=x', 'openai'],
            ['ai_hooks', 'bad hook!', 'ai_hooks'],
            ['no_such_setting', '1', 'Unknown setting "no_such_setting"'],
        ];
        foreach ($refused as [$name, $value, $named]) {
            $bad = WpCli::sluice(['config', 'set', $name, $value]);
            self::assertSame(1, $bad->exitCode, "config set $name $value must fail: $bad");
            self::assertStringContainsString('Error: ', $bad->stderr);
            self::assertStringContainsString($named, $bad->stderr, "the message names the problem: $bad");
        }
        self::assertSame(['site_limit' => 3], self::stored(), 'refused values change nothing');

        foreach ([['backend', 'database'], ['enabled', 'false'], ['provider_limits', 'openai=2,anthropic=1'], ['ai_hooks', 'my_summarise,my_translate'], ['lease_ttl', '900']] as [$name, $value]) {
            $ok = WpCli::sluice(['config', 'set', $name, $value]);
            self::assertSame(0, $ok->exitCode, (string) $ok);
        }
        $stored = self::stored();
        self::assertSame('database', $stored['backend']);
        self::assertFalse($stored['enabled']);
        self::assertSame(['openai' => 2, 'anthropic' => 1], $stored['provider_limits']);
        self::assertSame(['my_summarise', 'my_translate'], $stored['ai_hooks']);
        self::assertSame(900, $stored['lease_ttl']);

        $all = WpCli::sluice(['config', 'list', '--format=json']);
        self::assertSame(0, $all->exitCode, (string) $all);
        $settings = array_column($all->json(), null, 'name');
        self::assertSame(\SluiceWP\Settings\Fields::names(), array_keys($settings), 'every setting, in Fields\' order');
        self::assertSame('3', $settings['site_limit']['value']);
        self::assertSame('false', $settings['enabled']['value']);
        self::assertSame('["my_summarise","my_translate"]', $settings['ai_hooks']['stored']);
        $typed = WpCli::sluice(['config', 'get', 'ai_hooks', '--format=json']);
        self::assertSame(['my_summarise', 'my_translate'], $typed->json(), 'one setting, typed');

        $unknown = WpCli::sluice(['config', 'get', 'nope']);
        self::assertSame(1, $unknown->exitCode, (string) $unknown);
        self::assertStringContainsString('Unknown setting "nope"', $unknown->stderr);
    }

    public function testBenchTimesAcquireReleasePairsOnTheBackend(): void
    {
        $json = WpCli::sluice(['bench', '--pairs=300', '--format=json']);
        self::assertSame(0, $json->exitCode, (string) $json);
        $result = $json->json();
        self::assertSame('native', $result['backend']);
        self::assertSame(300, $result['pairs']);
        self::assertGreaterThan(0, $result['median_ns']);
        self::assertLessThan(1_000_000, $result['median_ns'], 'a native pair takes microseconds, not milliseconds');
        self::assertEquals(0, $result['queries_per_pair'], 'the native backend runs no SQL');

        $table = WpCli::sluice(['bench', '--pairs=100']);
        self::assertSame(0, $table->exitCode, (string) $table);
        foreach (['backend', 'native', 'pairs', '100', 'median_ns', 'queries_per_pair'] as $cell) {
            self::assertStringContainsString($cell, $table->stdout, 'the table (WP-CLI\'s Formatter) shows every field');
        }

        $bad = WpCli::sluice(['bench', '--pairs=0']);
        self::assertSame(1, $bad->exitCode, (string) $bad);
        self::assertStringContainsString('--pairs must be', $bad->stderr);
    }

    public function testStatusAndBenchOnTheDatabaseBackend(): void
    {
        $set = WpCli::sluice(['config', 'set', 'backend', 'database']);
        self::assertSame(0, $set->exitCode, (string) $set);
        $backend = new \SluiceWP\Backend\DatabaseBackend();
        $lease = $backend->tryAcquire([self::siteKey() => 2], 600, 'database holder');
        self::assertInstanceOf(Lease::class, $lease);
        try {
            $status = WpCli::sluice(['report']);
            self::assertSame(0, $status->exitCode, (string) $status);
            $report = $status->json();
            self::assertSame('database', $report['backend']);
            $keys = array_column($report['keys'], null, 'key');
            self::assertSame(1, $keys[self::siteKey()]['active'] ?? null, (string) $status);
            self::assertSame($lease->token, $keys[self::siteKey()]['holders'][0]['token'] ?? null);

            $released = WpCli::sluice(['release', $lease->token]);
            self::assertSame(0, $released->exitCode, (string) $released);
            self::assertFalse($backend->release($lease), 'the CLI released it in the database');

            $bench = WpCli::sluice(['bench', '--pairs=50', '--format=json']);
            self::assertSame(0, $bench->exitCode, (string) $bench);
            $result = $bench->json();
            self::assertSame('database', $result['backend']);
            self::assertGreaterThan(0, $result['queries_per_pair'], 'the database backend runs SQL for each pair');
            self::assertGreaterThan(0, $result['median_ns']);
        } finally {
            $backend->release($lease);
        }
    }

    /** @return array<string, mixed> the option as stored now (other processes wrote it) */
    private static function stored(): array
    {
        wp_cache_delete('alloptions', 'options');
        wp_cache_delete(Config::OPTION, 'options');
        $settings = get_option(Config::OPTION, []);
        return is_array($settings) ? $settings : [];
    }
}
