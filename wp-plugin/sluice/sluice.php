<?php
/**
 * Plugin Name:       Sluice
 * Plugin URI:        https://github.com/sluice-wp/sluice
 * Description:       Pressure control for AI work: each AI step that Action Scheduler runs takes a concurrency slot first, and waits (rescheduled, never failed) when none is free.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Author:            The Sluice maintainers
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       sluice
 * Domain Path:       /languages
 *
 * This file only wires: which object listens to which hook. The decisions
 * live in includes/ (one job per folder, see readme.txt).
 */

declare(strict_types=1);

defined('ABSPATH') || exit;

require_once __DIR__ . '/includes/autoload.php';

use SluiceWP\Backend\BackendChoice;
use SluiceWP\DataMachine\DataMachine;
use SluiceWP\Backend\WaitingLine;
use SluiceWP\Gate\Deferral;
use SluiceWP\Gate\Gate;
use SluiceWP\Gate\Handoffs;
use SluiceWP\Gate\HeldLeases;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Gate\QueuedAction;
use SluiceWP\Log\EventLog;
use SluiceWP\Log\Schema;
use SluiceWP\Queue\ActionSchedulerQueue;
use SluiceWP\Settings\AiWorkFilter;
use SluiceWP\Settings\Config;

/**
 * The objects of this request, built on first use.
 *
 * @return \stdClass&object{dataMachine: DataMachine, config: Config, backends: BackendChoice, eventLog: EventLog, gate: ?Gate}
 */
function sluice_services(): object
{
    static $services = null;
    if ($services === null) {
        $dataMachine = new DataMachine();
        $config = new Config($dataMachine);
        $services = (object) [
            'dataMachine' => $dataMachine,
            'config' => $config,
            'backends' => new BackendChoice($config->backend()),
            'eventLog' => new EventLog(),
            'gate' => null,
        ];
    }
    return $services;
}

/** The gate, or null while gating is off or no backend is usable (actions then run ungated). */
function sluice_gate(): ?Gate
{
    $services = sluice_services();
    if ($services->gate === null) {
        $backend = $services->backends->backend();
        if ($backend === null || !$services->config->enabled() || !ActionSchedulerQueue::isAvailable()) {
            return null;
        }
        $queue = new ActionSchedulerQueue();
        $line = $backend instanceof WaitingLine && $backend->lineAvailable() && $services->config->waitingLine() ? $backend : null;
        $services->gate = new Gate(
            $queue,
            new AiWorkFilter($services->dataMachine, $services->config),
            $backend,
            $services->config,
            SluiceWP\Status\SiteKeys::names(), // sluice/<install>/<blog_id>/..., as status, CLI and REST name them
            new HeldLeases($backend),
            new Deferral($queue, $services->config, $services->eventLog, $line),
            new Handoffs($queue, $line, $backend, $services->eventLog, static fn (QueuedAction $action): bool =>
                (bool) apply_filters('sluice_requeue_stranded', false, $action->hook, $action->args, $action->group)),
            $line,
        );
    }
    return $services->gate;
}

register_activation_hook(__FILE__, [Schema::class, 'ensure']);
add_action('plugins_loaded', [Schema::class, 'ensure']);

// The sweep: on every queue run, and from WP-Cron every minute, so a crashed holder's slot is handed on
// within seconds even when nobody else asks for one.
add_action('action_scheduler_before_process_queue', static function (): void {
    sluice_gate()?->sweep();
});
add_filter('cron_schedules', static function (array $schedules): array {
    $schedules['sluice_minute'] ??= ['interval' => 60, 'display' => __('Every minute (Sluice)', 'sluice')];
    return $schedules;
});
add_action('sluice_sweep', static function (): void {
    sluice_gate()?->sweep();
});
register_deactivation_hook(__FILE__, static function (): void {
    wp_clear_scheduled_hook('sluice_sweep');
});
add_action('init', static function (): void {
    if (!wp_next_scheduled('sluice_sweep')) {
        wp_schedule_event(time() + 60, 'sluice_minute', 'sluice_sweep');
    }
});

// The gate, on Action Scheduler's hooks: before AS's own status check ...
add_action('action_scheduler_before_execute', static function ($actionId): void {
    $decision = sluice_gate()?->beforeExecute((int) $actionId);
    if ($decision !== null) {
        do_action('sluice_gate_decision', $decision->value, (int) $actionId);
    }
}, 1, 1);
// ... and every way an action can end, whichever comes first (release is once per action id).
foreach ([
    'action_scheduler_after_execute',
    'action_scheduler_failed_execution',
    'action_scheduler_execution_ignored',
    'action_scheduler_unexpected_shutdown',
    'action_scheduler_failed_validation',
    'action_scheduler_canceled_corrupted_action',
] as $actionEnd) {
    add_action($actionEnd, static function ($actionId): void {
        if (sluice_services()->gate?->actionEnded((int) $actionId)) {
            do_action('sluice_lease_released', (int) $actionId);
        }
    }, 1, 1);
}
add_action('shutdown', static function (): void {
    foreach (sluice_services()->gate?->requestEnded() ?? [] as $actionId) {
        do_action('sluice_lease_released', $actionId);
    }
}, 1);

// Each provider request of a running AI step renews its lease and marks the request open.
add_filter('pre_http_request', static function ($preempt, $args) {
    if ($preempt === false) {
        sluice_services()->gate?->providerRequestStarting((int) ceil((float) ($args['timeout'] ?? 5)));
    }
    return $preempt;
}, PHP_INT_MAX, 2);
add_action('http_api_debug', static function (): void {
    sluice_services()->gate?->providerRequestFinished();
}, 1, 0);

// Data Machine: its own limiter stands down while Sluice gates, and deferrals reach its log.
add_action('plugins_loaded', static function (): void {
    $services = sluice_services();
    if (!$services->dataMachine->isActive()) {
        return;
    }
    if ($services->config->enabled() && $services->backends->backend() !== null) {
        $services->dataMachine->neutraliseOwnLimiter();
    }
    add_action('sluice_action_deferred', [$services->dataMachine, 'logDeferral'], 10, 1);
}, 20);

// An operator must know when AI work runs ungated, and which store limits it.
add_action('admin_notices', static function (): void {
    if (!current_user_can('manage_options')) {
        return;
    }
    $reason = sluice_services()->backends->unavailableReason();
    if ($reason !== null) {
        printf(
            '<div class="notice notice-warning"><p>%s</p></div>',
            esc_html(sprintf(
                /* translators: 1: the lease store setting (auto, native, database), 2: why that store cannot be used */
                __('Sluice is not limiting AI work: no lease store is usable (backend setting: %1$s): %2$s', 'sluice'),
                sluice_services()->backends->preference(),
                $reason,
            )),
        );
    } elseif (sluice_services()->backends->fellBackToDatabase()) {
        printf(
            '<div class="notice notice-info"><p>%s</p></div>',
            esc_html__('Sluice limits AI work through the database backend: the sluice PHP extension is not loaded in this PHP. Leases live in the site\'s database (3 queries per AI step, one limit for every host that shares the database); load the extension for host-local leases at a fraction of the cost, or set the backend to "database" to keep this store and hide this notice.', 'sluice'),
        );
    }
});

// Lifecycle (tables on every blog of a network, and on blogs created later), translations, the REST
// routes and `wp sluice` (includes/Lifecycle, Status, Rest, Cli; uninstall.php removes everything).
register_activation_hook(__FILE__, [SluiceWP\Lifecycle\Network::class, 'activate']);
register_deactivation_hook(__FILE__, [SluiceWP\Lifecycle\Network::class, 'deactivate']);
add_action('wp_initialize_site', static function (WP_Site $site): void {
    SluiceWP\Lifecycle\Network::siteCreated($site, plugin_basename(__FILE__));
}, 900);
add_filter('wpmu_drop_tables', [SluiceWP\Lifecycle\Network::class, 'dropTables'], 10, 2);
add_action('init', static function (): void {
    load_plugin_textdomain('sluice', false, dirname(plugin_basename(__FILE__)) . '/languages');
});
add_action('rest_api_init', [SluiceWP\Rest\StatusRoutes::class, 'register']);
if (defined('WP_CLI') && WP_CLI) {
    WP_CLI::add_command('sluice', SluiceWP\Cli\SluiceCommand::class);
    WP_CLI::add_command('sluice config', SluiceWP\Cli\ConfigCommand::class);
}

// wp-admin (includes/Admin/): Sluice > Status and Sluice > Settings (Network Admin > Sluice: every blog's status,
// read-only), the status page's live refresh
// (admin-ajax sluice_status) and repairs (admin-post, POST only), and the per-minute samples its chart
// reads: one upsert per deferral and per released lease (nothing on the admit path), and WP-Cron's minute.
add_filter('cron_schedules', [SluiceWP\Admin\MinuteSamples::class, 'addSchedule']);
add_action('init', [SluiceWP\Admin\MinuteSamples::class, 'ensureScheduled']);
add_action(SluiceWP\Admin\MinuteSamples::CRON_HOOK, static fn () => SluiceWP\Admin\StatusSource::fromServices()->sampleMinute());
add_action('sluice_action_deferred', [SluiceWP\Admin\MinuteSamples::class, 'onDeferred'], 10, 1);
add_action('sluice_lease_released', [SluiceWP\Admin\MinuteSamples::class, 'onReleased'], 10, 0);
if (is_admin()) {
    add_action('admin_menu', static fn () => SluiceWP\Admin\AdminMenu::add(__FILE__, sluice_services(), SluiceWP\Admin\StatusSource::fromServices()));
    add_action('admin_init', [SluiceWP\Admin\SettingsPage::class, 'registerSetting']);
    add_action('network_admin_menu', static fn () => (new SluiceWP\Admin\NetworkStatusPage(__FILE__, SluiceWP\Status\SiteStatus::fromServices()))->addMenu());
    add_action('wp_ajax_' . SluiceWP\Admin\StatusAjax::ACTION, static fn () => (new SluiceWP\Admin\StatusAjax(SluiceWP\Admin\StatusSource::fromServices()))->handle());
    add_action('admin_post_' . SluiceWP\Admin\LeaseActions::RELEASE, static fn () => (new SluiceWP\Admin\LeaseActions(SluiceWP\Status\SiteStatus::fromServices()))->release());
    add_action('admin_post_' . SluiceWP\Admin\LeaseActions::RESET, static fn () => (new SluiceWP\Admin\LeaseActions(SluiceWP\Status\SiteStatus::fromServices()))->reset());
}
