<?php
/**
 * Sluice's checks in Tools > Site Health (filter site_status_tests), where
 * operators look for such problems: the extension loaded in the web server's
 * PHP and the CLI's, one segment shared by both, one store for the site,
 * limits within what the store holds, and Action Scheduler's store and
 * runners. Each reads what the site's processes recorded (ProcessStores) and
 * Sluice's health (Status\Health), and says how to fix what it finds.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Scheduler\ActionSchedulerAdapter;
use SluiceWP\Status\Health;
use SluiceWP\Status\HealthProblem;
use SluiceWP\Status\ProcessStore;
use SluiceWP\Status\ProcessStores;

defined('ABSPATH') || exit;

final class SiteHealthTests
{
    /** A queue run through the store this recently counts as a working runner. */
    private const RUNNER_SEEN_SECONDS = 3600;

    /** @param \Closure(): Health $health */
    public function __construct(
        private readonly \Closure $health,
        private readonly ProcessStores $processes,
    ) {
    }

    public function init(): void
    {
        add_filter('site_status_tests', [$this, 'register']);
    }

    /**
     * @param array<string, array<string, mixed>> $tests
     * @return array<string, array<string, mixed>>
     */
    public function register(array $tests): array
    {
        foreach ([
            'sluice_extension' => [__('The sluice extension in every PHP of the site', 'sluice'), [$this, 'extension']],
            'sluice_segment' => [__('One shared-memory segment for PHP-FPM and the CLI', 'sluice'), [$this, 'segment']],
            'sluice_one_store' => [__('One lease store for every process of the site', 'sluice'), [$this, 'oneStore']],
            'sluice_limits' => [__('AI limits within what the lease store holds', 'sluice'), [$this, 'limits']],
            'sluice_action_scheduler' => [__('Action Scheduler\'s store and queue runners under Sluice', 'sluice'), [$this, 'actionScheduler']],
        ] as $id => [$label, $test]) {
            $tests['direct'][$id] = ['label' => $label, 'test' => $test];
        }
        return $tests;
    }

    /** @return array<string, mixed> */
    public function extension(): array
    {
        $records = $this->records();
        $without = array_filter($records, static fn (ProcessStore $r): bool => !$r->extensionLoaded);
        if ($records === []) {
            return $this->result('sluice_extension', 'recommended', __('No process of the site has used Sluice yet', 'sluice'),
                __('Each PHP that runs the site (PHP-FPM and the CLI that runs the queue) records here whether it loads the sluice extension once it runs Sluice.', 'sluice'));
        }
        if ($without === []) {
            return $this->result('sluice_extension', 'good', __('The sluice extension is loaded in every PHP of the site', 'sluice'), $this->list($records));
        }
        $refused = array_filter($without, static fn (ProcessStore $r): bool => $r->refused());
        return $this->result('sluice_extension', $refused !== [] ? 'critical' : 'recommended',
            __('The sluice extension is not loaded in every PHP of the site', 'sluice'),
            $this->list($records),
            __('Add extension=sluice.so to the php.ini of each PHP named above without it (PHP-FPM and the CLI each load their own), then restart PHP-FPM. Or set the backend to "database" to keep every process on the database backend.', 'sluice'));
    }

    /** @return array<string, mixed> */
    public function segment(): array
    {
        $native = array_filter($this->records(), static fn (ProcessStore $r): bool => $r->extensionLoaded);
        $refused = array_filter($native, static fn (ProcessStore $r): bool => $r->refused());
        $segments = array_unique(array_map(static fn (ProcessStore $r): string => $r->segment, $native));
        if ($refused !== []) {
            return $this->result('sluice_segment', 'critical', __('A PHP of the site cannot use the shared-memory segment', 'sluice'),
                $this->list($native), $this->fixOf('process_refused') ?: $this->fixOf('store_unusable'));
        }
        if (count($segments) > 1) {
            return $this->result('sluice_segment', 'critical', __('PHP-FPM and the CLI use different segments', 'sluice'), $this->list($native),
                __('Give sluice.segment the same value in the php.ini of every PHP that runs the site: processes on different segments each grant the whole limit.', 'sluice'));
        }
        return $this->result('sluice_segment', 'good', __('Every PHP of the site that loads the extension shares one segment', 'sluice'), $this->list($native));
    }

    /** @return array<string, mixed> */
    public function oneStore(): array
    {
        $problems = array_filter(($this->health)()->problems, static fn (HealthProblem $p): bool => in_array($p->code, ['stores_differ', 'store_unusable', 'process_refused', 'redis_unreachable'], true));
        if ($problems === []) {
            return $this->result('sluice_one_store', 'good', __('Every process of the site uses one lease store', 'sluice'), $this->list($this->records()));
        }
        return $this->result('sluice_one_store', 'critical', __('Not every process of the site uses the same lease store', 'sluice'),
            $this->problems($problems), implode("\n", array_filter(array_map(static fn (HealthProblem $p): string => $p->fix, $problems))));
    }

    /** @return array<string, mixed> */
    public function limits(): array
    {
        $problems = array_filter(($this->health)()->problems, static fn (HealthProblem $p): bool => $p->code === 'limit_clamped');
        if ($problems === []) {
            return $this->result('sluice_limits', 'good', __('Sluice\'s limits are within what the lease store holds per key', 'sluice'), '');
        }
        return $this->result('sluice_limits', 'critical', __('A limit is above what the lease store holds per key', 'sluice'), $this->problems($problems),
            __('Lower the limit (Sluice > Settings, the filter that raises it, or Data Machine\'s setting), or raise what the store holds as the message says.', 'sluice'));
    }

    /** @return array<string, mixed> */
    public function actionScheduler(): array
    {
        $store = ActionSchedulerAdapter::storeKind();
        if ($store === '') {
            return $this->result('sluice_action_scheduler', 'recommended', __('Action Scheduler is not loaded', 'sluice'),
                __('Sluice gates AI work that Action Scheduler runs (Data Machine and WooCommerce bundle it); without it there is nothing to gate.', 'sluice'));
        }
        $runners = array_filter($this->records(), static fn (ProcessStore $r): bool => $r->queueRunAt > 0 && time() - $r->queueRunAt < self::RUNNER_SEEN_SECONDS);
        $description = $store === 'other'
            ? __('Action Scheduler serves from a store of its own (not its DB store): a deferred AI step waits on its timer, because Sluice can move a copy forward only in the DB store.', 'sluice')
            : ($store === 'hybrid'
                ? __('Action Scheduler is in its migration window (hybrid store, after a plugin was deactivated or on a fresh site); Sluice\'s wakes work there too.', 'sluice')
                : __('Action Scheduler serves from its DB store: Sluice moves a deferred AI step forward the moment a slot frees.', 'sluice'));
        $description .= ' ' . ($runners === []
            ? __('No process has run the queue through Sluice in the last hour.', 'sluice')
            : sprintf(
                /* translators: %s: the processes that ran the queue */
                __('Queue runs through Sluice in the last hour: %s.', 'sluice'),
                implode('; ', array_map(static fn (ProcessStore $r): string => $r->describe() . ', ' . human_time_diff($r->queueRunAt, time()) . ' ago', $runners)),
            ));
        $cronOff = defined('DISABLE_WP_CRON') && DISABLE_WP_CRON;
        $status = $runners === [] ? ($cronOff ? 'critical' : 'recommended') : ($store === 'other' ? 'recommended' : 'good');
        return $this->result('sluice_action_scheduler', $status, $runners === []
            ? __('No queue runner seen under Sluice in the last hour', 'sluice')
            : __('Action Scheduler runs under Sluice', 'sluice'), $description, $runners === []
            ? ($cronOff
                ? __('DISABLE_WP_CRON is set: run the queue from system cron, e.g. every minute: sudo -u www-data wp action-scheduler run (as the PHP-FPM user, so both share the segment).', 'sluice')
                : __('WP-Cron runs the queue on page views; on a quiet site, run it from system cron: sudo -u www-data wp action-scheduler run.', 'sluice'))
            : '');
    }

    /** @return array<string, ProcessStore> */
    private function records(): array
    {
        return $this->processes->all();
    }

    private function fixOf(string $code): string
    {
        foreach (($this->health)()->problems as $problem) {
            if ($problem->code === $code && $problem->fix !== '') {
                return $problem->fix;
            }
        }
        return '';
    }

    /** @param array<string, ProcessStore> $records */
    private function list(array $records): string
    {
        $items = array_map(static fn (ProcessStore $r): string => sprintf(
            /* translators: 1: a kind of process and its user, 2: the store it uses or why it cannot, 3: whether it loads the extension, 4: how long ago */
            __('%1$s: %2$s (%3$s, %4$s ago)', 'sluice'),
            $r->describe(),
            /* translators: %s: why the process cannot use the store */
            $r->store ?? sprintf(__('cannot use the store: %s', 'sluice'), (string) $r->error),
            /* translators: %s: the extension's segment name */
            $r->extensionLoaded ? sprintf(__('extension loaded, segment %s', 'sluice'), $r->segment) : __('no extension', 'sluice'),
            human_time_diff($r->at, time()),
        ), $records);
        return $items === [] ? '' : implode("\n", $items);
    }

    /** @param array<HealthProblem> $problems */
    private function problems(array $problems): string
    {
        return implode("\n", array_map(static fn (HealthProblem $p): string => $p->message, $problems));
    }

    /** @return array<string, mixed> a Site Health result; $description and $fix are plain text (escaped here) */
    private function result(string $test, string $status, string $label, string $description, string $fix = ''): array
    {
        return [
            'label' => $label,
            'status' => $status,
            'badge' => ['label' => __('Sluice', 'sluice'), 'color' => $status === 'good' ? 'blue' : 'red'],
            'description' => $description !== '' ? '<p>' . nl2br(esc_html($description)) . '</p>' : '',
            'actions' => $fix !== '' ? '<p>' . esc_html__('Fix:', 'sluice') . '</p><pre>' . esc_html($fix) . '</pre>' : '',
            'test' => $test,
        ];
    }
}
