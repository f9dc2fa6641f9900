<?php
declare(strict_types=1);

namespace Sluice\WpTests\Admin;

use Facebook\WebDriver\Chrome\ChromeDriver;
use Facebook\WebDriver\WebDriverBy;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Log\MinuteSamples;
use SluiceWP\Plugin;

/**
 * The admin pages in a real browser (headless Chromium through
 * chromedriver, driven by php-webdriver/webdriver: Chromium): after a small burn-in through the test bed, an
 * administrator logs in, reads the status page (the chart drawn from the
 * burn-in's samples, a lease held by this process among the holders, the
 * live refresh), releases that lease with its button, and saves the
 * settings once with a bad value (the error shows, the good values are
 * stored) and once right. Any JavaScript error, PHP notice or warning on
 * the way fails it. Screenshots go to the stack's log folder; the paths
 * are printed.
 */
final class BrowserTest extends AdminTestCase
{
    private const FLOWS = 2;
    private const ITEMS = 2;

    /**
     * Errors of the test bed, not of Sluice: the bed reaches no network
     * (Gravatar) and serves no favicon.
     */
    private const BED_NOISE = [
        '/gravatar\.com.*Failed to load resource/',
        '#/favicon\.ico.*Failed to load resource#',
    ];

    private ?ChromeDriver $browser = null;

    private function burnIn(): void
    {
        Site::configure([], ['request_timeout' => 2, 'retry_base_delay' => 1, 'max_attempts' => 2]);
        Provider::reset(latencyMs: 500, saturateAbove: 1);
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 2]);
        for ($flow = 1; $flow <= self::FLOWS; $flow++) {
            datamachine_fixture_start_flow("adm$flow", self::ITEMS);
        }
        Runner::until(static fn () => Site::unfinishedJobs() === 0, 3, 120, 'WP CLI', true);
        self::assertSame(self::FLOWS * self::ITEMS, Site::processedItems(), 'the burn-in processed every item');
    }

    private static function artifact(string $name): string
    {
        $dir = (string) getenv('SLUICE_STACK_DIR') . '/logs';
        if (!is_dir($dir)) {
            mkdir($dir, 0777, true);
        }
        return $dir . '/' . $name;
    }

    private function screenshot(string $name): void
    {
        $file = self::artifact($name);
        $this->browser()->takeScreenshot($file);
        fwrite(STDERR, "admin screenshot: $file\n");
    }

    /** No JavaScript error and no PHP notice/warning on the page now shown. */
    private function assertPageClean(string $what): void
    {
        $errors = array_merge(Chromium::jsErrors($this->browser()), Chromium::consoleErrors($this->browser()));
        $ours = array_values(array_filter($errors, static function (string $error): bool {
            foreach (self::BED_NOISE as $noise) {
                if (preg_match($noise, $error) === 1) {
                    return false;
                }
            }
            return true;
        }));
        self::assertSame([], $ours, "JavaScript errors on $what");
        $html = $this->browser()->getPageSource();
        self::assertDoesNotMatchRegularExpression('/<b>(Notice|Warning|Deprecated|Fatal error)<\/b>:|(Notice|Warning|Deprecated|Fatal error): .* in \//', $html, "a PHP error shows on $what");
        self::assertSame('', Site::sluiceErrors(), "Sluice's code logged errors while showing $what");
    }

    public function testAnAdministratorReadsTheStatusReleasesALeaseAndSavesSettings(): void
    {
        $this->burnIn();
        do_action(MinuteSamples::CRON_HOOK);
        $series = Plugin::instance()->samples->series(60);
        self::assertGreaterThan(0, array_sum($series['deferred']), 'the burn-in left deferrals in the samples');
        self::assertGreaterThanOrEqual(self::FLOWS * self::ITEMS, array_sum($series['completed']), 'and finished AI steps');

        $lease = self::holdLabelled('action 4242 / job 77 / step flow_9-ai_1 / fake', 1);
        $url = Site::url();
        $this->browser = Chromium::start(1280, 1500);

        $this->go("$url/wp-login.php");
        $this->fill('#user_login', 'admin');
        $this->fill('#user_pass', AdminHttp::adminPassword());
        $this->click('#wp-submit');
        $this->waitFor("return document.body.classList.contains('wp-admin');");

        // Status: the chart from the burn-in, the held lease, then one live refresh.
        $this->go("$url/wp-admin/admin.php?page=sluice");
        $bars = (int) $this->waitFor("return document.querySelectorAll('#sluice-chart svg .sluice-series-deferred rect').length;");
        self::assertGreaterThan(0, $bars, 'the chart draws the deferrals');
        self::assertGreaterThan(0, (int) $this->browser()->executeScript("return document.querySelectorAll('#sluice-chart svg .sluice-series-completed rect').length;"), 'and the finished steps');
        $holders = (string) $this->browser()->executeScript("return document.querySelector('[data-sluice-section=holders]').textContent;");
        foreach (['4242', '77', 'flow_9-ai_1', 'fake'] as $part) {
            self::assertStringContainsString($part, $holders, 'the holder row shows the label\'s parts');
        }
        self::assertStringContainsString('native', (string) $this->browser()->executeScript("return document.querySelector('[data-sluice-section=backend]').textContent;"));
        self::assertStringContainsString('-ai_', (string) $this->browser()->executeScript("return document.querySelector('[data-sluice-section=events]').textContent;"), 'the throttle events of the burn-in are listed');
        $this->waitFor("return document.getElementById('sluice-status').getAttribute('data-sluice-state') === 'live';", 20);
        $this->assertPageClean('the status page');
        $this->screenshot('admin-status.png');

        // Release the held lease with its button.
        $this->click('form[data-token="' . $lease->token . '"] button');
        $this->waitFor("return document.querySelector('.notice-success') !== null;");
        self::assertStringContainsString('Lease released', (string) $this->browser()->executeScript("return document.querySelector('.notice-success').textContent;"));
        self::assertFalse(self::isHeld($lease->token), 'the button released the lease');
        $this->assertPageClean('the status page after a release');

        // Settings: a bad maximum delay is refused with a message, the good fields are stored.
        $this->go("$url/wp-admin/admin.php?page=sluice-settings");
        $this->fill('#sluice_site_limit', '2');
        $this->fill('#sluice_throttle_delay', '30');
        $this->fill('#sluice_throttle_delay_max', '5');
        $this->click('#submit');
        $error = (string) $this->waitFor("var e = document.querySelector('#setting-error-sluice_throttle_delay_max'); return e && e.textContent;");
        self::assertStringContainsString('must be at least the throttle delay', $error);
        wp_cache_delete('alloptions', 'options');
        wp_cache_delete('sluice_settings', 'options');
        $stored = get_option('sluice_settings');
        self::assertSame(2, $stored['site_limit'] ?? null);
        self::assertSame(30, $stored['throttle_delay'] ?? null);
        self::assertArrayNotHasKey('throttle_delay_max', $stored, 'the previous maximum (2 s) is below the new delay: the default applies');
        $this->assertPageClean('the settings page with an error');
        $this->screenshot('admin-settings-error.png');

        $this->fill('#sluice_throttle_delay_max', '600');
        $this->click('#submit');
        $saved = (string) $this->waitFor("var e = document.querySelector('#setting-error-settings_updated'); return e && e.textContent;");
        self::assertStringContainsString('Settings saved', $saved);
        wp_cache_delete('alloptions', 'options');
        wp_cache_delete('sluice_settings', 'options');
        self::assertSame(600, get_option('sluice_settings')['throttle_delay_max'] ?? null);
        $this->assertPageClean('the settings page after saving');
        $this->screenshot('admin-settings.png');
    }

    private function browser(): ChromeDriver
    {
        return $this->browser ?? throw new \LogicException('no browser started');
    }

    private function go(string $url): void
    {
        $this->browser()->get($url);
    }

    private function fill(string $css, string $text): void
    {
        $field = $this->browser()->findElement(WebDriverBy::cssSelector($css));
        $field->clear();
        if ($text !== '') {
            $field->sendKeys($text);
        }
    }

    private function click(string $css): void
    {
        $this->browser()->findElement(WebDriverBy::cssSelector($css))->click();
    }

    private function waitFor(string $condition, int $timeoutSeconds = 20): mixed
    {
        return Chromium::waitFor($this->browser(), $condition, $timeoutSeconds);
    }

    protected function tearDown(): void
    {
        $this->browser?->quit();
        $this->browser = null;
        parent::tearDown();
    }
}
