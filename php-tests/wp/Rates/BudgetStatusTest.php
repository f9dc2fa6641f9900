<?php
declare(strict_types=1);

namespace Sluice\WpTests\Rates;

use Sluice\WpTests\Cli\WpCli;
use Sluice\WpTests\Gate\GateTestCase;
use SluiceWP\Admin\StatusSections;
use SluiceWP\Backend\BucketWord;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Plugin;
use SluiceWP\Rates\MinuteBudget;

/**
 * A rate budget's bucket is no key of slots: `wp sluice status`, the report
 * (REST's JSON) and the status page's keys leave it out (before, each showed
 * as a key with limit 0), and `wp sluice budgets`, the report's budgets and
 * the page's rate budgets section show it as a budget: the most a minute may
 * take, whose it is, what is left, the provider's pause.
 */
final class BudgetStatusTest extends GateTestCase
{
    public function testBudgetsShowAsBudgetsNotAsKeysOfSlots(): void
    {
        $provider = 'budgets-' . bin2hex(random_bytes(3)); // a pause left in the segment holds back no other run
        $names = self::gateKeys();
        [$rpm, $tpm] = [$names->budget('rpm', $provider, false), $names->budget('tpm', $provider, false)];
        [$rate, $burst] = MinuteBudget::bucket(30);
        $backend = new NativeBackend();
        $lease = $backend->tryAcquireTaking([self::siteKey() => 1], 600, 'test', null,
            [$rpm => ['rate' => $rate, 'burst' => $burst, 'tokens' => 1.0], KeyNames::qps() => ['rate' => 4.0, 'burst' => 4.0, 'tokens' => 1.0]]);
        self::assertInstanceOf(Lease::class, $lease);
        $backend->release($lease);
        $backend->observeBucket($tpm, new BucketWord(pauseMs: 90_000)); // the provider said: no tokens for 90 s
        $budgets = [$rpm, $tpm, KeyNames::qps()];

        $status = WpCli::sluice(['status', '--format=json', '--fields=key,limit']);
        self::assertSame(0, $status->exitCode, (string) $status);
        $keys = array_column($status->json(), 'key');
        self::assertContains(self::siteKey(), $keys);
        self::assertSame([], array_values(array_intersect($budgets, $keys)), 'no bucket among the keys of slots: ' . $status);

        $listed = WpCli::sluice(['budgets', '--format=json']);
        self::assertSame(0, $listed->exitCode, (string) $listed);
        $rows = array_column($listed->json(), null, 'key');
        self::assertSame([30.0, 'set'], [(float) $rows[$rpm]['per_minute'], $rows[$rpm]['source']], (string) $listed);
        self::assertGreaterThanOrEqual(0.5, $rows[$rpm]['level'], 'a burst of 1.5, one request taken, refilling');
        self::assertLessThanOrEqual(1.5, $rows[$rpm]['level']);
        self::assertSame([244.0, 'set'], [(float) $rows[KeyNames::qps()]['per_minute'], $rows[KeyNames::qps()]['source']], '4 a second and a burst of 4');
        $pausedUntil = strtotime($rows[$tpm]['paused_until'] . ' UTC');
        self::assertEqualsWithDelta(time() + 90, $pausedUntil, 15, (string) $listed);
        self::assertSame([0.0, ''], [(float) $rows[$tpm]['per_minute'], $rows[$tpm]['source']], 'no budget known, only the pause');

        $report = WpCli::sluice(['report'])->json();
        self::assertSame([], array_values(array_intersect($budgets, array_column($report['keys'], 'key'))));
        self::assertSame(30.0, (float) (array_column($report['budgets'], null, 'key')[$rpm]['per_minute'] ?? 0), 'the report (REST\'s JSON) has its budgets');

        $site = Plugin::instance()->siteStatus()->report();
        $tpmUntil = array_column($site->budgets, 'pausedUntil', 'key')[$tpm] ?? 0;
        self::assertEqualsWithDelta($pausedUntil, $tpmUntil, 2, 'the same pause (each reading rounds to its second)');
        $sections = (new StatusSections($site))->all();
        self::assertStringNotContainsString('rpm:' . $provider, $sections['keys']);
        self::assertStringContainsString('<code title="' . $rpm . '">rpm:' . $provider . '</code></td><td>30.0', $sections['budgets']);
        self::assertStringContainsString(gmdate('H:i:s', $tpmUntil) . ' UTC', $sections['budgets'], 'the tpm bucket\'s pause');
    }
}
