<?php
declare(strict_types=1);

namespace Sluice\WpTests\Admin;

use SluiceWP\Log\EventLogSchema;
use SluiceWP\Log\MinuteSamples;
use SluiceWP\Log\MinuteSamplesSchema;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\NativeBackend;

/**
 * Who may see and use the admin pages: manage_options and the right nonce,
 * POST for the repairs; everyone else gets 403 (405 for a GET repair).
 */
final class AccessTest extends AdminTestCase
{
    private const HOST_WIDE = 'sluice/provider:admin-test';
    private const OTHER_SITE = 'sluice/0000000000/99/site';

    public function testAUserWithoutManageOptionsIsRefusedEverywhere(): void
    {
        $lease = self::holdLabelled('action 1 / job 1 / step s-ai / fake');
        $editor = self::editor();
        foreach (['/wp-admin/admin.php?page=sluice', '/wp-admin/admin.php?page=sluice-settings'] as $page) {
            $response = $editor->get($page);
            self::assertSame(403, $response['status'], $page);
            self::assertStringContainsString('not allowed', $response['body'], $page);
        }
        $ajax = $editor->get('/wp-admin/admin-ajax.php?action=sluice_status&_ajax_nonce=x');
        self::assertSame(403, $ajax['status']);
        self::assertStringNotContainsString('sections', $ajax['body']);
        $release = $editor->post('/wp-admin/admin-post.php', ['action' => 'sluice_release_lease', 'token' => $lease->token, '_wpnonce' => 'x']);
        self::assertSame(403, $release['status']);
        self::assertStringContainsString('not allowed', $release['body']);
        $reset = $editor->post('/wp-admin/admin-post.php', ['action' => 'sluice_reset_key', 'key' => self::siteKey(), '_wpnonce' => 'x']);
        self::assertSame(403, $reset['status']);
        $options = $editor->post('/wp-admin/options.php', ['option_page' => 'sluice', 'action' => 'update', '_wpnonce' => 'x', 'sluice_settings[site_limit]' => '9']);
        self::assertSame(403, $options['status']);
        self::assertTrue(self::isHeld($lease->token), 'the lease is still held');
        self::assertFalse(is_array(get_option('sluice_settings')) && isset(get_option('sluice_settings')['site_limit']));
    }

    public function testAnAdministratorNeedsTheNonceAndAPost(): void
    {
        $lease = self::holdLabelled('action 2 / job 2 / step s-ai / fake');
        $admin = AdminHttp::admin();
        $release = $admin->post('/wp-admin/admin-post.php', ['action' => 'sluice_release_lease', 'token' => $lease->token, '_wpnonce' => 'not-a-nonce']);
        self::assertSame(403, $release['status'], 'a bad nonce is refused');
        $reset = $admin->post('/wp-admin/admin-post.php', ['action' => 'sluice_reset_key', 'key' => self::siteKey()]);
        self::assertSame(403, $reset['status'], 'a missing nonce is refused');
        $get = $admin->get('/wp-admin/admin-post.php?action=sluice_release_lease&token=' . $lease->token);
        self::assertSame(405, $get['status'], 'a GET is refused');
        $ajax = $admin->get('/wp-admin/admin-ajax.php?action=sluice_status&_ajax_nonce=not-a-nonce');
        self::assertSame(403, $ajax['status']);
        $options = $admin->post('/wp-admin/options.php', ['option_page' => 'sluice', 'action' => 'update', '_wpnonce' => 'x', 'sluice_settings[site_limit]' => '9']);
        self::assertSame(403, $options['status']);
        self::assertTrue(self::isHeld($lease->token), 'the lease is still held');
    }

    public function testReleaseResetAndTheLiveRefreshWorkWithTheirNonces(): void
    {
        $first = self::holdLabelled('action 3 / job 3 / step s-ai / fake');
        $admin = AdminHttp::admin();
        $page = $admin->get('/wp-admin/admin.php?page=sluice');
        self::assertSame(200, $page['status']);
        $release = $admin->post('/wp-admin/admin-post.php', self::formFields($page['body'], $first->token));
        self::assertSame(303, $release['status']);
        self::assertStringContainsString('sluice_notice=released', $release['location']);
        self::assertFalse(self::isHeld($first->token), 'the lease was released');
        self::assertStringContainsString('Lease released', $admin->get('/wp-admin/admin.php?page=sluice&sluice_notice=released')['body']);

        $second = self::holdLabelled('action 4 / job 4 / step s-ai / fake');
        $page = $admin->get('/wp-admin/admin.php?page=sluice');
        $reset = $admin->post('/wp-admin/admin-post.php', self::formFields($page['body'], 'sluice_reset_key'));
        self::assertSame(303, $reset['status']);
        self::assertFalse(self::isHeld($second->token), 'the key was reset');
        self::assertSame(0, self::keyStatus(self::siteKey())?->active);

        // Another site's key cannot be reset from this one.
        $other = $admin->post('/wp-admin/admin-post.php', ['key' => 'sluice/0000000000/9/site'] + self::formFields($page['body'], 'sluice_reset_key'));
        self::assertSame(404, $other['status']);

        self::assertSame(1, preg_match('/sluiceStatus = \{.*?"nonce":"([0-9a-f]+)"/s', $page['body'], $m), 'the page hands its script a nonce');
        $ajax = $admin->get('/wp-admin/admin-ajax.php?action=sluice_status&_ajax_nonce=' . $m[1]);
        self::assertSame(200, $ajax['status']);
        $body = json_decode($ajax['body'], true);
        self::assertTrue($body['success'] ?? false, $ajax['body']);
        self::assertSame(['backend', 'keys', 'providers', 'budgets', 'capacity', 'holders', 'line', 'counters', 'events'], array_keys($body['data']['sections']));
        self::assertCount(60, $body['data']['chart']['minutes']);
    }

    /**
     * A lease of another site that also holds a host-wide provider key shows
     * among this site's holders (the host-wide key is every site's), but it
     * is that site's lease: its Release button here frees nothing, as
     * `wp sluice release` and the REST release refuse it.
     */
    public function testReleaseRefusesALeaseThatHoldsAnotherSitesKey(): void
    {
        $foreign = (new NativeBackend())->tryAcquire([self::OTHER_SITE => 1, self::HOST_WIDE => 3], 600, 'action 9 / job 9 / step s-ai / other site');
        self::assertInstanceOf(Lease::class, $foreign);
        $own = self::holdLabelled('action 5 / job 5 / step s-ai / fake');
        try {
            $admin = AdminHttp::admin();
            $page = $admin->get('/wp-admin/admin.php?page=sluice');
            self::assertSame(200, $page['status']);
            self::assertStringContainsString('data-token="' . $foreign->token . '"', $page['body'], 'the host-wide key shows the other site\'s holder');
            self::assertStringNotContainsString(self::OTHER_SITE, $page['body'], 'but not the other site\'s key');

            $release = $admin->post('/wp-admin/admin-post.php', self::formFields($page['body'], $foreign->token));
            self::assertSame(303, $release['status']);
            self::assertStringContainsString('sluice_notice=not_held', $release['location']);
            self::assertSame(1, self::keyStatus(self::OTHER_SITE)?->active, 'another site\'s lease is not this site\'s to release');
            self::assertSame(1, self::keyStatus(self::HOST_WIDE)?->active);
            self::assertStringContainsString('another site', $admin->get('/wp-admin/admin.php?page=sluice&sluice_notice=not_held')['body']);

            // The other site's key cannot be reset from here either; this site's own lease still can be released.
            $reset = $admin->post('/wp-admin/admin-post.php', ['key' => self::OTHER_SITE] + self::formFields($page['body'], 'sluice_reset_key'));
            self::assertSame(404, $reset['status']);
            self::assertSame(1, self::keyStatus(self::OTHER_SITE)?->active);
            $mine = $admin->post('/wp-admin/admin-post.php', self::formFields($page['body'], $own->token));
            self::assertStringContainsString('sluice_notice=released', $mine['location']);
            self::assertFalse(self::isHeld($own->token));
        } finally {
            (new NativeBackend())->release($foreign);
        }
    }

    /**
     * A host-wide key is shared with other installs of the host: another install's holder on it is shown to this
     * site's administrator without its token, pid, label or action id (the page and its live refresh), cannot be
     * released from here, and the key itself is reset only by a network administrator: a single site's
     * administrator has no manage_network_options, so the page offers no Reset and a forged POST gets a 403.
     */
    public function testAnotherInstallsHolderOnAHostWideKeyIsRedactedAndTheKeyIsNotResetHere(): void
    {
        $foreign = (new NativeBackend('otherinstall/1'))->tryAcquire([self::HOST_WIDE => 3], 600, 'action 9 / job 9 / step secret-ai / other install');
        self::assertInstanceOf(Lease::class, $foreign);
        $own = self::holdLabelled('action 5 / job 5 / step s-ai / fake');
        try {
            $admin = AdminHttp::admin();
            $page = $admin->get('/wp-admin/admin.php?page=sluice');
            self::assertSame(200, $page['status']);
            self::assertStringContainsString('data-token="' . $own->token . '"', $page['body'], 'this site\'s own holder, in full');
            self::assertStringNotContainsString($foreign->token, $page['body'], 'not the other install\'s token');
            self::assertStringNotContainsString('secret-ai', $page['body'], 'nor its label');
            self::assertStringContainsString('another site&#039;s step', $page['body']);
            self::assertSame(1, preg_match('/sluiceStatus = \{.*?"nonce":"([0-9a-f]+)"/s', $page['body'], $m));
            $refresh = $admin->get('/wp-admin/admin-ajax.php?action=sluice_status&_ajax_nonce=' . $m[1]);
            self::assertSame(200, $refresh['status'], $refresh['body']);
            self::assertStringNotContainsString($foreign->token, $refresh['body'], 'the live refresh neither');

            $release = $admin->post('/wp-admin/admin-post.php', ['token' => $foreign->token] + self::formFields($page['body'], $own->token));
            self::assertStringContainsString('sluice_notice=not_held', $release['location'] ?? '', 'another install\'s lease is not released from here');
            self::assertSame([$foreign->token], array_map(static fn ($h) => $h->token, self::keyStatus(self::HOST_WIDE)->holders ?? []));

            self::assertStringNotContainsString('value="' . self::HOST_WIDE . '"', $page['body'], 'no Reset form for the host-wide key');
            $reset = $admin->post('/wp-admin/admin-post.php', ['key' => self::HOST_WIDE] + self::formFields($page['body'], 'sluice_reset_key'));
            self::assertSame(403, $reset['status'], 'resetting a host-wide key takes manage_network_options');
            self::assertStringContainsString('manage_network_options', $reset['body']);
            self::assertSame(1, self::keyStatus(self::HOST_WIDE)?->active, 'the other install\'s lease still holds the host-wide key');
        } finally {
            (new NativeBackend('otherinstall/1'))->release($foreign);
        }
    }

    /**
     * The chart: deferrals per minute from the event log, finished steps from the growth of the site key's
     * release counter between two minute samples (nothing is written per step).
     */
    public function testSamplesCountDeferralsAndReleasesOfTheCurrentMinute(): void
    {
        global $wpdb;
        $samples = MinuteSamplesSchema::table();
        $wpdb->query("TRUNCATE TABLE {$samples}");
        $wpdb->query('TRUNCATE TABLE ' . EventLogSchema::table());
        foreach ([3, 2] as $active) {
            $wpdb->insert(EventLogSchema::table(), ['created_at' => gmdate('Y-m-d H:i:s'), 'event' => 'deferred', 'limit_n' => 3, 'active_n' => $active]);
        }
        $wpdb->insert($samples, ['minute_at' => gmdate('Y-m-d H:i:00', time() - 120), 'slot_limit' => 3, 'slots_in_use' => 1, 'released_total' => 40]);
        (new MinuteSamples())->sample(1, 3, 42);
        $series = (new MinuteSamples())->series(60, 3);
        self::assertSame(2, array_sum($series['deferred']));
        self::assertSame(2, (int) end($series['completed']), 'two releases since the sample two minutes ago');
        self::assertSame(0, $series['completed'][count($series['completed']) - 2], 'none in the minute without a sample');
        self::assertSame(3, max($series['slots']), 'the full key\'s active count at a deferral is the minute\'s slots in use');
        self::assertSame(3, end($series['limit']));

        (new MinuteSamples())->sample(0, 3, 5);
        self::assertSame(5, (int) end((new MinuteSamples())->series(60, 3)['completed']), 'a counter that went back (a new segment) counts from 0');
    }
}
