<?php
/**
 * The plugin: builds this request's services once and lets each part
 * register its own hooks (init()), as ActionScheduler::init() calls each of
 * its parts'. sluice.php only loads this. The parts:
 *   Lifecycle  activation, network blogs, tables, translations, the one-minute WP-Cron schedule
 *   Scheduler  the only code that calls Action Scheduler: its hooks, in front of the gate
 *   Gate       request end, provider requests, the WP-Cron sweep
 *   Provider   every AI call to a provider: adaptive limit, circuit breaker,
 *              the slot given back during provider backoff, calls outside actions
 *   DataMachine  its limiter stands down, deferrals reach its log
 *   Status     the chart's minute sample
 *   Capacity   the capacity view's REST route, alerts and their notice
 *   Admin, Rest, Cli  what operators see and do
 */

declare(strict_types=1);

namespace SluiceWP;

use SluiceWP\Admin\AdminHooks;
use SluiceWP\Backend\BackendChoice;
use SluiceWP\Backend\Capacity;
use SluiceWP\Backend\DatabaseLineSchema;
use SluiceWP\Backend\DatabaseSchema;
use SluiceWP\Backend\SiteStore;
use SluiceWP\Backend\UnusableStore;
use SluiceWP\Backend\KeyRecordsSchema;
use SluiceWP\Backend\CapacityCounters;
use SluiceWP\Backend\CapacitySchema;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Capacity\CapacityRecorder;
use SluiceWP\Backend\RateBuckets;
use SluiceWP\Backend\RecordStore;
use SluiceWP\Backend\WaitingLine;
use SluiceWP\Capacity\CapacityHooks;
use SluiceWP\Cli\Commands;
use SluiceWP\DataMachine\DataMachine;
use SluiceWP\DataMachine\DataMachineHooks;
use SluiceWP\Gate\Deferral;
use SluiceWP\Gate\Gate;
use SluiceWP\Gate\GateHooks;
use SluiceWP\Gate\Handoffs;
use SluiceWP\Gate\HeldLeases;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Gate\RateBudgets;
use SluiceWP\Gate\ScheduledAction;
use SluiceWP\Gate\SlotWait;
use SluiceWP\Gate\WaitEstimate;
use SluiceWP\Gate\WorkHistory;
use SluiceWP\Lifecycle\Lifecycle;
use SluiceWP\Log\EventLog;
use SluiceWP\Log\EventLogSchema;
use SluiceWP\Log\MinuteSamples;
use SluiceWP\Log\MinuteSamplesSchema;
use SluiceWP\Provider\ProviderCalls;
use SluiceWP\Provider\ProviderHooks;
use SluiceWP\Provider\ProviderProtection;
use SluiceWP\Provider\ProviderRequests;
use SluiceWP\Provider\ProviderStates;
use SluiceWP\Provider\SignalClassifier;
use SluiceWP\Rates\RateHooks;
use SluiceWP\Rates\RateObserver;
use SluiceWP\Scheduler\ActionSchedulerHooks;
use SluiceWP\Scheduler\ActionSchedulerAdapter;
use SluiceWP\Scheduler\Runners;
use SluiceWP\Rest\SettingsRoutes;
use SluiceWP\Rest\StatusRoutes;
use SluiceWP\Schema\TableSchema;
use SluiceWP\Settings\AiWorkFilter;
use SluiceWP\Settings\Config;
use SluiceWP\Status\MinuteSampler;
use SluiceWP\Status\Health;
use SluiceWP\Status\ProcessStores;
use SluiceWP\Status\SiteStatus;
use SluiceWP\Status\UngatedCounter;

defined('ABSPATH') || exit;

final class Plugin
{
    private static ?self $instance = null;

    public readonly DataMachine $dataMachine;
    public readonly Config $config;
    public readonly BackendChoice $backends;
    public readonly EventLog $eventLog;
    public readonly MinuteSamples $samples;
    /** What each kind of process of the site says about its store. */
    public readonly ProcessStores $processStores;
    /** Actions that ran ungated because the store failed. */
    public readonly UngatedCounter $ungated;
    public readonly ProviderRequests $providerRequests;
    private ?Gate $gate = null;
    private ?ProviderProtection $protection = null;
    private ?ProviderCalls $providerCalls = null;

    private function __construct(public readonly string $file)
    {
        $this->dataMachine = new DataMachine();
        $this->config = new Config($this->dataMachine);
        $this->processStores = new ProcessStores();
        $this->ungated = new UngatedCounter();
        $this->backends = new BackendChoice(
            $this->config->backend(),
            $this->config->redisFallback(),
            $this->config->requestTimeout(),
            oneStore: true,
            onPicked: fn (?string $store, ?string $why) => $this->processStores->record($store, $why),
        );
        $this->config->capLimitsBy(fn (): ?Capacity => $this->capacity());
        $this->eventLog = new EventLog();
        $this->samples = new MinuteSamples();
        $this->providerRequests = new ProviderRequests();
    }

    /** Builds the plugin and registers every part's hooks (sluice.php, once per request). */
    public static function load(string $file): self
    {
        if (self::$instance === null) {
            self::$instance = new self($file);
            self::$instance->init();
        }
        return self::$instance;
    }

    /** The plugin of this request (tests and benchmarks; the plugin's own classes get what they need passed in). */
    public static function instance(): self
    {
        return self::$instance ?? throw new \LogicException('Sluice is not loaded (sluice.php loads it)');
    }

    private function init(): void
    {
        (new Lifecycle($this->file, self::schemas()))->init();
        SiteStore::init();
        $this->eventLog->init();
        (new ActionSchedulerHooks(fn (): ?Gate => $this->gate(), fn (): ?Gate => $this->gate))->init();
        (new Runners(fn (): ?Gate => $this->gate()))->init();
        (new GateHooks(fn (): ?Gate => $this->gate(), fn (): ?Gate => $this->gate))->init();
        (new ProviderHooks(fn (): ?ProviderCalls => $this->providerCalls(), $this->providerRequests))->init();
        (new RateHooks(fn (): ?RateObserver => $this->rateObserver()))->init();
        (new DataMachineHooks($this->dataMachine, $this->config, $this->backends, $this->providerRequests, fn (): ?ProviderProtection => $this->protection()))->init();
        (new MinuteSampler($this->siteStatus(), $this->config, $this->samples))->init();
        (new StatusRoutes($this->siteStatus()))->init();
        (new CapacityHooks($this->backends, $this->siteStatus()))->init();
        (new SettingsRoutes($this->config, fn (): ?Capacity => $this->capacity()))->init();
        (new AdminHooks($this))->init();
        if (defined('WP_CLI') && WP_CLI) {
            (new Commands($this))->init();
        }
    }

    /** @return list<TableSchema> every store's tables, each with its own version */
    public static function schemas(): array
    {
        return [new EventLogSchema(), new MinuteSamplesSchema(), new DatabaseSchema(), new DatabaseLineSchema(), new KeyRecordsSchema(), new CapacitySchema()];
    }

    /** What Sluice holds for the current blog: the status page, REST and WP-CLI read it. */
    public function siteStatus(): SiteStatus
    {
        return new SiteStatus($this->backends, $this->config, $this->processStores, $this->ungated);
    }

    /** The store in use, for the largest limit it holds per key (null when no store is usable). */
    public function capacity(): ?Capacity
    {
        $backend = $this->backends->backend();
        return $backend instanceof Capacity ? $backend : null;
    }

    /** Sluice's health here (the admin notice, Site Health; the report carries it too). */
    public function health(): Health
    {
        return Health::check($this->backends, $this->config, $this->processStores, $this->ungated->read());
    }

    /**
     * The gate, or null while gating is off. A process that cannot use the
     * site's store still gets one (UnusableStore), so its AI work is never let
     * through silently: it waits as a copy on its timer for a process that can
     * use the store while another kind of process of the site ran the queue
     * through it in the last 15 minutes (ProcessStores), and otherwise runs
     * ungated, counted (and under Data Machine's own limiter, which Sluice only
     * switches off where it gates), as it does when the operator chose
     * redis_fallback = ungated. Either way the error log (once per process),
     * the status page, `wp sluice status`, REST and the admin notice say so.
     */
    public function gate(): ?Gate
    {
        if ($this->gate !== null) {
            return $this->gate;
        }
        $backend = $this->backends->backend();
        if (!$this->config->enabled() || !ActionSchedulerAdapter::isAvailable()) {
            return null;
        }
        $usable = $backend !== null;
        if ($backend === null) {
            $defer = !$this->backends->ungatedBySetting() && $this->processStores->anotherKindGatesQueues() !== null;
            $backend = new UnusableStore((string) $this->backends->unavailableReason(), $defer);
        }
        $scheduler = new ActionSchedulerAdapter();
        // The store's line records serve the gate whether the waiting line is on or off: a lease remembers its action (stranded work).
        $records = $backend instanceof WaitingLine && $backend->lineAvailable() ? $backend : null;
        $line = $this->config->waitingLine() ? $records : null;
        $estimate = $usable ? apply_filters('sluice_wait_estimate', new SlotWait($backend), $backend) : null;
        $recorder = $usable && $backend instanceof CapacityCounters
            ? new CapacityRecorder($backend, fn (string $workKey): WorkHistory => $this->eventLog->historyOf($workKey), $line !== null, !$backend instanceof NativeBackend)
            : null;
        return $this->gate = new Gate(
            $scheduler,
            new AiWorkFilter($this->dataMachine, $this->config),
            $backend,
            $this->config,
            KeyNames::forBlog(), // sluice/<install>/<blog_id>/..., as status, CLI and REST name them
            new HeldLeases($backend, $this->eventLog),
            new Deferral($scheduler, $this->config, $this->eventLog, $line, $estimate instanceof WaitEstimate ? $estimate : null, $recorder),
            new Handoffs($scheduler, $line, $backend, $this->eventLog, static fn (ScheduledAction $action): bool =>
                (bool) apply_filters('sluice_requeue_stranded', false, $action->hook, $action->args, $action->group), $records, $this->eventLog),
            $records,
            $this->ungated,
            $usable ? fn () => $this->processStores->queueRan() : null,
            $this->protection(),
            new RateBudgets($this->config, KeyNames::forBlog()),
            $recorder,
        );
    }

    /** Each provider's adaptive limit and circuit breaker, in the store in use (null without a usable store). */
    public function protection(): ?ProviderProtection
    {
        if ($this->protection !== null) {
            return $this->protection;
        }
        $backend = $this->backends->backend();
        if (!$backend instanceof RecordStore) {
            return null;
        }
        return $this->protection = new ProviderProtection(new ProviderStates($backend), $this->config, KeyNames::forBlog(), $this->eventLog);
    }

    /** Reads the providers' rate-limit headers into the store's buckets (null when the store keeps none). */
    public function rateObserver(): ?RateObserver
    {
        $backend = $this->backends->backend();
        return $backend instanceof RateBuckets ? new RateObserver($backend, KeyNames::forBlog(), $this->config) : null;
    }

    /** This request's AI calls to providers, while Sluice gates (null otherwise: they go ungated). */
    public function providerCalls(): ?ProviderCalls
    {
        if ($this->providerCalls !== null) {
            return $this->providerCalls;
        }
        $gate = $this->gate();
        $backend = $this->backends->backend();
        $protection = $this->protection();
        if ($gate === null || $backend === null || $protection === null) {
            return null;
        }
        return $this->providerCalls = new ProviderCalls($gate, $backend, $protection, new SignalClassifier(), $this->config);
    }
}
