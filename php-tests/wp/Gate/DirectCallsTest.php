<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Provider\ProviderState;
use SluiceWP\Provider\ProviderStates;
use SluiceWP\Provider\Signal;

/**
 * AI calls that are not queued actions (chat in wp-admin, REST, other
 * plugins, Data Machine's system tasks) spend the provider's capacity too:
 * each takes the provider's key (and its mode's, when the mode has a limit)
 * with a bounded wait, gives it back when the answer is in, and fails fast
 * with a clear error when the wait runs out or the circuit is open. A PHP
 * process of the site makes each call, announced the way Data Machine
 * announces its calls (its request timeout filter, with mode and provider).
 */
final class DirectCallsTest extends ProviderTestCase
{
    /** Starts a process that makes one call in $mode; it prints {error, status, seconds} as JSON. */
    private static function call(string $mode): Runner
    {
        return Runner::php('require ' . var_export(Site::loader(), true) . ';
            apply_filters("datamachine_wp_ai_client_request_timeout", 5.0, $mode, "fake", "fake-model", []);
            $t = microtime(true);
            $r = wp_safe_remote_post(SLUICE_TEST_PROVIDER_URL . "/v1/chat/completions", ["timeout" => 5,
                "headers" => ["Content-Type" => "application/json"], "body" => "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"]);
            echo json_encode(["error" => is_wp_error($r) ? $r->get_error_message() : "", "status" => is_wp_error($r) ? 0 : wp_remote_retrieve_response_code($r),
                "seconds" => microtime(true) - $t]), "\n";', ['mode' => $mode]);
    }

    /** @return array{error: string, status: int, seconds: float} */
    private static function outcome(Runner $call): array
    {
        self::assertSame(0, $call->wait(30), 'the calling process failed: ' . $call->output());
        $lines = array_values(array_filter(explode("\n", $call->output()), static fn (string $l): bool => str_starts_with($l, '{')));
        $outcome = json_decode((string) end($lines), true);
        self::assertIsArray($outcome, 'the call printed its outcome: ' . $call->output());
        return $outcome;
    }

    private static function hold(string $key): Lease
    {
        $lease = (new NativeBackend())->tryAcquire([$key => 1], 600, 'test holder');
        self::assertInstanceOf(Lease::class, $lease);
        return $lease;
    }

    public function testACallWaitsForTheProvidersSlotThenFailsFastWithAClearError(): void
    {
        self::sluice(['provider_limits' => ['fake' => 1], 'direct_call_wait' => 1]);
        Provider::reset(latencyMs: 100);
        $lease = self::hold(self::providerKey());
        $outcome = self::outcome(self::call('chat'));
        (new NativeBackend())->release($lease);
        self::assertStringContainsString('Sluice: AI provider "fake" is busy: no slot within 1 s for this chat call', $outcome['error']);
        self::assertGreaterThanOrEqual(0.9, $outcome['seconds'], 'it waited');
        self::assertLessThan(5.0, $outcome['seconds'], 'for the bounded wait only');
        self::assertSame(0, Provider::stats()['total'], 'the provider never saw it');
    }

    public function testACallHoldsTheProvidersKeyWhileItRunsAndGivesItBack(): void
    {
        self::sluice(['provider_limits' => ['fake' => 2], 'direct_call_wait' => 5]);
        Provider::reset(latencyMs: 1500);
        $call = self::call('chat');
        $seen = null;
        $deadline = microtime(true) + 20;
        // Until its request is marked open too: the slot is taken a moment before (the holder is visible between).
        while (($seen === null || !$seen->requestOpen) && $call->running() && microtime(true) < $deadline) {
            foreach (self::keyStatus(self::providerKey())?->holders ?? [] as $holder) {
                $seen = $holder->label === 'chat call to fake' ? $holder : $seen;
            }
            usleep(50_000);
        }
        $outcome = self::outcome($call);
        self::assertSame(['', 200], [$outcome['error'], $outcome['status']]);
        self::assertNotNull($seen, 'while the call ran, it held a slot of the provider key');
        self::assertTrue($seen->requestOpen, 'with its request marked open (a death drains the slot)');
        self::assertSame(0, self::keyStatus(self::providerKey())?->active, 'and gave it back with the answer');
        self::assertSame(1, Provider::stats()['answered']);
    }

    public function testAModeWithALimitTakesItsKeyBesideTheProviders(): void
    {
        self::sluice(['provider_limits' => ['fake' => 5], 'mode_limits' => ['chat' => 1], 'direct_call_wait' => 1]);
        Provider::reset(latencyMs: 100);
        $lease = self::hold(self::gateKeys()->mode('chat'));
        $chat = self::call('chat');
        $system = self::call('system');
        $chatOutcome = self::outcome($chat);
        $systemOutcome = self::outcome($system);
        (new NativeBackend())->release($lease);
        self::assertStringContainsString('key ' . self::gateKeys()->mode('chat') . ' at its limit of 1', $chatOutcome['error']);
        self::assertSame(['', 200], [$systemOutcome['error'], $systemOutcome['status']], 'another mode is not held back');
    }

    public function testAnExemptModeTakesNoSlot(): void
    {
        self::sluice(['provider_limits' => ['fake' => 1], 'exempt_modes' => ['chat'], 'direct_call_wait' => 0]);
        Provider::reset(latencyMs: 100);
        $lease = self::hold(self::providerKey());
        $chat = self::outcome(self::call('chat'));
        $system = self::outcome(self::call('system'));
        (new NativeBackend())->release($lease);
        self::assertSame(['', 200], [$chat['error'], $chat['status']], 'chat goes through a full provider key');
        self::assertStringContainsString('is busy', $system['error'], 'other modes still wait (0 s here)');
    }

    public function testAnOpenCircuitFailsTheCallAtOnceWithoutReachingTheProvider(): void
    {
        self::sluice(['provider_limits' => ['fake' => 2], 'direct_call_wait' => 5]);
        Provider::reset(latencyMs: 100);
        (new ProviderStates(new NativeBackend()))->update(self::providerKey(), static fn (ProviderState $s, int $now): ProviderState => $s->with([
            'circuit' => ProviderState::OPEN, 'openedMs' => $now, 'nextProbeMs' => $now + 60_000, 'cooldownMs' => 60_000,
            'circuitReason' => Signal::Timeout, 'opens' => 1, 'cooldowns' => 1,
        ]));
        $outcome = self::outcome(self::call('chat'));
        self::assertStringContainsString('the circuit of AI provider "fake" is open after repeated failures (timeout)', $outcome['error']);
        self::assertStringContainsString('provider_circuit_open', $outcome['error']);
        self::assertLessThan(1.0, $outcome['seconds'], 'it failed fast');
        self::assertSame(0, Provider::stats()['total'], 'the provider never saw it');
    }
}
