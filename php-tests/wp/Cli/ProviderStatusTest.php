<?php
declare(strict_types=1);

namespace Sluice\WpTests\Cli;

use Sluice\WpTests\Gate\GateTestCase;
use SluiceWP\Admin\StatusSections;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Plugin;
use SluiceWP\Provider\ProviderState;
use SluiceWP\Provider\ProviderStates;
use SluiceWP\Provider\Signal;

/**
 * What operators see of a provider's protection: `wp sluice status`, `wp
 * sluice report` (REST's JSON) and the status page's providers section show
 * the ceiling, the adaptive limit in force, the last signal and its time,
 * and the circuit's state, reason and next probe.
 */
final class ProviderStatusTest extends GateTestCase
{
    public function testStatusReportAndPageShowTheProvidersProtection(): void
    {
        self::sluice(['provider_limits' => ['fake' => 3]]);
        $key = self::gateKeys()->provider('fake', false);
        $probeAt = 0;
        (new ProviderStates(new NativeBackend()))->update($key, static function (ProviderState $s, int $now) use (&$probeAt): ProviderState {
            $probeAt = $now + 45_000;
            return $s->with(['limit' => 2, 'signal' => Signal::Timeout, 'signalMs' => $now - 5_000, 'circuit' => ProviderState::OPEN,
                'openedMs' => $now - 15_000, 'nextProbeMs' => $probeAt, 'cooldownMs' => 60_000, 'circuitReason' => Signal::Timeout,
                'opens' => 1, 'cooldowns' => 2]);
        });

        $cli = WpCli::sluice(['status', '--format=json', '--fields=key,scope,ceiling,effective_limit,last_signal,circuit,circuit_reason,next_probe_at,circuit_opens']);
        self::assertSame(0, $cli->exitCode, (string) $cli);
        $rows = array_column($cli->json(), null, 'key');
        self::assertArrayHasKey($key, $rows, (string) $cli);
        self::assertSame(['key' => $key, 'scope' => 'provider', 'ceiling' => 3, 'effective_limit' => 2, 'last_signal' => 'timeout', 'circuit' => 'open',
            'circuit_reason' => 'timeout', 'next_probe_at' => gmdate('Y-m-d H:i:s', intdiv($probeAt, 1000)), 'circuit_opens' => 1], $rows[$key]);

        $report = WpCli::sluice(['report'])->json();
        $provider = array_column($report['keys'], null, 'key')[$key]['provider'] ?? null;
        self::assertIsArray($provider, 'the report (REST\'s JSON) carries the provider');
        self::assertSame(['open', 2, 3, 'timeout'], [$provider['circuit'], $provider['effective_limit'], $provider['ceiling'], $provider['last_signal']]);
        self::assertEqualsWithDelta($probeAt / 1000, $provider['next_probe_at'], 1);

        $html = (new StatusSections(Plugin::instance()->siteStatus()->report()))->all()['providers'];
        self::assertStringContainsString('open (timeout): no call reaches the provider', $html);
        self::assertStringContainsString('timeout, ', $html, 'the last signal and how long ago');
        self::assertStringContainsString('1 time (2 cool-downs)', $html);
    }
}
