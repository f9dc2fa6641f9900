<?php
declare(strict_types=1);

namespace Sluice\WpTests\Capacity;

use Sluice\WpTests\Gate\GateTestCase;
use SluiceWP\Admin\CapacityNotice;
use SluiceWP\Admin\CapacitySection;
use SluiceWP\Admin\StatusSections;
use SluiceWP\Admin\StatusSource;
use SluiceWP\Capacity\CapacityAlert;
use SluiceWP\Capacity\CapacityCollector;
use SluiceWP\Capacity\CapacityWatch;
use SluiceWP\Plugin;

/**
 * The status page's capacity section (numbers, chart, what-if), the alerts'
 * minute check firing sluice_capacity_alert once per start, and the admin
 * notice only for those who may see it (a host-wide key's in Network Admin
 * for network administrators), from counts put in the segment.
 */
final class CapacityPageTest extends GateTestCase
{
    protected function tearDown(): void
    {
        unset($_GET[CapacitySection::WHAT_IF_PARAM]);
        wp_set_current_user(0);
        parent::tearDown();
    }

    private static function collector(): CapacityCollector
    {
        $plugin = Plugin::instance();
        return new CapacityCollector($plugin->backends, $plugin->siteStatus());
    }

    public function testTheSectionShowsEachKeysNumbersAChartAndAWhatIf(): void
    {
        [$busy, $busyShort] = LoadedKeys::create(1, 25);
        $plugin = Plugin::instance();
        $_GET[CapacitySection::WHAT_IF_PARAM] = '3';
        $source = new StatusSource($plugin->siteStatus(), $plugin->config, $plugin->eventLog, $plugin->samples, self::collector());
        $html = (new StatusSections($plugin->siteStatus()->report(), $source))->all()['capacity'];

        self::assertStringContainsString('<tr data-sluice-key="' . $busy . '" data-sluice-window="5"><td><code title="' . $busy . '">' . $busyShort . '</code></td><td>5 min</td><td>0.333</td><td>2.0 s (0.00)</td><td>1</td><td>0.67</td>', $html);
        self::assertStringContainsString('class="sluice-bad sluice-capacity-alert">' . esc_html($busy) . ' is loaded past', $html);
        self::assertMatchesRegularExpression('#<svg[^>]*sluice-capacity-chart.*' . preg_quote($busyShort, '#') . '.*</svg>#s', $html);
        self::assertStringContainsString('name="' . CapacitySection::WHAT_IF_PARAM . '" value="3"', $html);
        // at limit 3: rho 0.67 / 3
        self::assertMatchesRegularExpression('#sluice-capacity-what-if".*<tr data-sluice-key="' . preg_quote($busy, '#') . '" data-sluice-window="5">(?:<td>.*?</td>){4}<td>3</td><td>0.22</td>#s', $html);

        $readOnly = (new StatusSections($plugin->siteStatus()->report()))->all()['capacity'];
        self::assertSame('', $readOnly, 'no source (the network page\'s read-only sections): no capacity section');
    }

    public function testTheMinuteCheckFiresOncePerAlertAndTheNoticeShowsItToAdministratorsOnly(): void
    {
        [$busy] = LoadedKeys::create(1, 25);
        $fired = [];
        $listener = static function (CapacityAlert $alert, string $text) use (&$fired, $busy): void {
            if ($alert->key === $busy) {
                $fired[] = [$alert->kind, $text];
            }
        };
        add_action(CapacityWatch::ACTION, $listener, 10, 2);
        try {
            $watch = new CapacityWatch(self::collector());
            $watch->check();
            $watch->check();
        } finally {
            remove_action(CapacityWatch::ACTION, $listener, 10);
        }
        self::assertCount(1, $fired, 'once when it starts, not every minute while it lasts');
        self::assertSame(CapacityAlert::UTILISATION, $fired[0][0]);
        self::assertArrayHasKey('utilisation:' . $busy, CapacityWatch::stored(false));

        $notice = static function (): string {
            ob_start();
            (new CapacityNotice())->render();
            return (string) ob_get_clean();
        };
        $subscriber = wp_insert_user(['user_login' => 'capview-' . bin2hex(random_bytes(3)), 'user_pass' => wp_generate_password(24), 'role' => 'subscriber']);
        self::assertIsInt($subscriber);
        wp_set_current_user($subscriber);
        self::assertSame('', $notice(), 'a subscriber sees no notice');
        wp_set_current_user((int) get_user_by('login', 'admin')->ID);
        self::assertStringContainsString('data-sluice-alert="utilisation:' . esc_attr($busy) . '"', $notice());
        require_once ABSPATH . 'wp-admin/includes/user.php';
        wp_delete_user($subscriber);
    }

    public function testHostWideKeysAlertsAreTheNetworksAndShowInNetworkAdmin(): void
    {
        [$own] = LoadedKeys::create(1, 25);
        [$shared] = LoadedKeys::create(1, 25, hostWide: true);
        (new CapacityWatch(self::collector()))->check();
        self::assertArrayHasKey('utilisation:' . $own, CapacityWatch::stored(false));
        self::assertArrayNotHasKey('utilisation:' . $shared, CapacityWatch::stored(false), 'kept by the network, not the blog');
        self::assertArrayHasKey('utilisation:' . $shared, CapacityWatch::stored(true));
        self::assertArrayNotHasKey('utilisation:' . $own, CapacityWatch::stored(true));

        $notice = static function (): string {
            ob_start();
            (new CapacityNotice())->render();
            return (string) ob_get_clean();
        };
        wp_set_current_user((int) get_user_by('login', 'admin')->ID);
        $blog = $notice();
        self::assertStringContainsString('data-sluice-alert="utilisation:' . $own . '"', $blog);
        self::assertStringContainsString('data-sluice-alert="utilisation:' . $shared . '"', $blog, 'a single site has no Network Admin: its administrators see the host-wide keys\' alerts');

        // Network Admin (is_network_admin() reads the current screen), for a network administrator only.
        $GLOBALS['current_screen'] = new class () {
            public function in_admin(?string $admin = null): bool
            {
                return $admin === null || $admin === 'network';
            }
        };
        $networkAdmin = static fn (array $caps, array $asked): array => in_array('manage_network_options', $asked, true) ? $caps + ['manage_network_options' => true] : $caps;
        try {
            self::assertSame('', $notice(), 'an administrator of the site who is no network administrator');
            add_filter('user_has_cap', $networkAdmin, 10, 2);
            $network = $notice();
        } finally {
            remove_filter('user_has_cap', $networkAdmin, 10);
            unset($GLOBALS['current_screen']);
        }
        self::assertStringContainsString('data-sluice-alert="utilisation:' . $shared . '"', $network);
        self::assertStringNotContainsString($own, $network, 'a blog\'s own keys are its administrators\'');
    }
}
