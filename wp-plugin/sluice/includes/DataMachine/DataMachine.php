<?php
/**
 * The only code that knows Data Machine (checked against its 0.175.11 source):
 * - which scheduled actions are AI steps: `datamachine_execute_step` with args
 *   {job_id, flow_step_id, ...} whose step in the job's engine data
 *   (`datamachine_get_engine_data()`, `flow_config[flow_step_id].step_type`) is 'ai';
 * - which provider a step uses, resolved as AIStep does: the step's agent
 *   modes, the job's model snapshot, then PluginSettings (or its option);
 * - Data Machine's settings and filters as Sluice's defaults;
 * - switching its own limiter off while Sluice gates (it has no off switch:
 *   a large bounded limit, no provider limit, short lease TTL);
 * - writing Sluice's deferrals to Data Machine's log.
 *
 * `datamachine_resume_ai_step` is left ungated on purpose: only Data Machine's
 * own limiter schedules it (never while Sluice has it switched off), and Data
 * Machine accepts a resume only under its exact action id, so a deferred copy
 * would be rejected and strand the job.
 */

declare(strict_types=1);

namespace SluiceWP\DataMachine;

use SluiceWP\Backend\Refusal;
use SluiceWP\Gate\AiWork;
use SluiceWP\Gate\CircuitOpen;
use SluiceWP\Gate\ScheduledAction;
use SluiceWP\Gate\WorkClassifier;
use SluiceWP\Settings\Defaults;

defined('ABSPATH') || exit;

final class DataMachine implements WorkClassifier, Defaults
{
    public const STEP_HOOK = 'datamachine_execute_step';
    public const SETTINGS_OPTION = 'datamachine_settings';
    /** Data Machine's own defaults (PluginSettings): a value equal to these was not configured. */
    private const DM_DEFAULT_LIMIT = 3;
    private const DM_DEFAULT_DELAY = 10;
    private const DM_DEFAULT_REQUEST_TIMEOUT = 300;
    /** Large but bounded: Data Machine's slot loop walks up to the limit when inserts fail. */
    private const NEUTRAL_LIMIT = 10000;

    /** True while Sluice reads Data Machine's own numbers (the neutraliser then stands aside). */
    private bool $readingDefaults = false;

    public function isActive(): bool
    {
        return defined('DATAMACHINE_VERSION') && function_exists('datamachine_get_engine_data');
    }

    public function classify(ScheduledAction $action): ?AiWork
    {
        if ($action->hook !== self::STEP_HOOK || !$this->isActive()) {
            return null;
        }
        // Action Scheduler hands the callback array_values($args): position is what counts.
        $args = array_values($action->args);
        $jobId = isset($args[0]) && is_numeric($args[0]) ? (int) $args[0] : 0;
        $flowStepId = isset($args[1]) && is_scalar($args[1]) ? (string) $args[1] : '';
        if ($jobId <= 0 || $flowStepId === '') {
            return null;
        }
        $engine = \datamachine_get_engine_data($jobId);
        $step = $engine['flow_config'][$flowStepId] ?? null;
        if (!is_array($step) || ($step['step_type'] ?? '') !== 'ai') {
            return null;
        }
        $flowId = (string) ($step['flow_id'] ?? '');
        return new AiWork($action, $this->providerOf($engine, $step), $jobId, $flowStepId, $flowId !== '' ? 'flow:' . $flowId : '');
    }

    public function siteLimit(): ?int
    {
        $setting = $this->setting('pipeline_ai_concurrency_limit');
        $limit = $this->readOwn('datamachine_pipeline_ai_concurrency_limit', $setting ?? self::DM_DEFAULT_LIMIT, '');
        return $setting === null && $limit === self::DM_DEFAULT_LIMIT ? null : max(1, $limit);
    }

    public function providerLimit(string $provider): ?int
    {
        $limits = $this->settings()['pipeline_ai_provider_concurrency_limits'] ?? [];
        $setting = is_array($limits) && isset($limits[$provider]) ? (int) $limits[$provider] : 0;
        $limit = $this->readOwn('datamachine_pipeline_ai_provider_concurrency_limit', $setting, $provider);
        return $limit > 0 ? $limit : null;
    }

    public function throttleDelay(): ?int
    {
        $setting = $this->setting('pipeline_ai_throttle_delay');
        $delay = $this->readOwn('datamachine_pipeline_ai_throttle_delay', $setting ?? self::DM_DEFAULT_DELAY, '');
        return $setting === null && $delay === self::DM_DEFAULT_DELAY ? null : max(1, $delay);
    }

    public function requestTimeout(): ?int
    {
        if (!$this->isActive()) {
            return null;
        }
        $timeout = apply_filters('datamachine_wp_ai_client_request_timeout', (float) self::DM_DEFAULT_REQUEST_TIMEOUT, 'pipeline', '', '', []);
        return max(1, (int) ceil((float) $timeout));
    }

    /** While Sluice gates, Data Machine's limiter must never throttle a second time. */
    public function neutraliseOwnLimiter(): void
    {
        add_filter('datamachine_pipeline_ai_concurrency_limit', fn ($limit) => $this->readingDefaults ? $limit : self::NEUTRAL_LIMIT, PHP_INT_MAX);
        add_filter('datamachine_pipeline_ai_provider_concurrency_limit', fn ($limit) => $this->readingDefaults ? $limit : 0, PHP_INT_MAX);
        // Rows its limiter still writes go stale fast, so a crash leaves none behind for long.
        add_filter('datamachine_pipeline_ai_concurrency_lease_ttl', fn ($ttl) => $this->readingDefaults ? $ttl : 30, PHP_INT_MAX);
    }

    /**
     * Writes a Sluice deferral to Data Machine's log (action `datamachine_log`).
     *
     * @param array<string, int|string|null> $context ThrottleEvent::context()
     */
    public function logDeferral(array $context): void
    {
        if (empty($context['job_id'])) {
            return; // not a Data Machine step
        }
        $why = match ($context['reason'] ?? '') {
            CircuitOpen::REASON => 'provider circuit open',
            Refusal::RATE_BUDGET => 'rate budget',
            default => 'AI concurrency limit',
        };
        do_action('datamachine_log', 'warning', "Pipeline AI step deferred by Sluice ({$why})", $context + ['source' => 'sluice']);
    }

    /**
     * Whether a job's failure (Data Machine's failure context: its message
     * fields) was Sluice refusing to call a provider whose circuit is open.
     *
     * @param array<mixed> $context
     */
    public function failedOnOpenCircuit(array $context): bool
    {
        foreach (['message', 'error_message', 'exception_message', 'ai_error'] as $field) {
            if (is_string($context[$field] ?? null) && str_contains($context[$field], CircuitOpen::REASON)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The provider of an AI step, as AIStep resolves it, sanitised as Data Machine's limiter keys it.
     *
     * @param array<string, mixed> $engine
     * @param array<string, mixed> $step
     */
    private function providerOf(array $engine, array $step): string
    {
        $modes = $this->modesOf($engine, $step);
        $job = is_array($engine['job'] ?? null) ? $engine['job'] : [];
        $modeModels = is_array($job['mode_models'] ?? null) ? $job['mode_models'] : [];
        foreach ([...$modes, 'pipeline'] as $mode) {
            $pair = $modeModels[$mode] ?? null;
            if (is_array($pair) && !empty($pair['provider']) && !empty($pair['model'])) {
                return sanitize_key((string) $pair['provider']);
            }
        }
        if (!empty($job['default_provider'])) {
            return sanitize_key((string) $job['default_provider']);
        }
        if (class_exists(\DataMachine\Core\PluginSettings::class)) {
            $agentId = isset($job['agent_id']) ? (int) $job['agent_id'] : null;
            $resolved = \DataMachine\Core\PluginSettings::resolveModelForAgentModes($agentId, $modes, 'pipeline');
            return sanitize_key((string) ($resolved['provider'] ?? ''));
        }
        $settings = $this->settings();
        foreach ([...$modes, 'pipeline'] as $mode) {
            $provider = $settings['mode_models'][$mode]['provider'] ?? '';
            if (is_string($provider) && $provider !== '') {
                return sanitize_key($provider);
            }
        }
        return sanitize_key((string) ($settings['default_provider'] ?? ''));
    }

    /**
     * @param array<string, mixed> $engine
     * @param array<string, mixed> $step
     * @return list<string>
     */
    private function modesOf(array $engine, array $step): array
    {
        $modes = $step['agent_modes'] ?? null;
        if (empty($modes)) {
            $pipelineStep = (string) ($step['pipeline_step_id'] ?? '');
            $modes = $engine['pipeline_config'][$pipelineStep]['agent_modes'] ?? null;
        }
        $modes = is_array($modes) && $modes !== [] ? $modes : ['pipeline'];
        return array_values(array_map(static fn ($mode) => sanitize_key((string) $mode), $modes));
    }

    /**
     * Applies one of Data Machine's own limiter filters with Sluice's neutraliser standing aside.
     *
     * @param non-empty-string $filter
     */
    private function readOwn(string $filter, int $value, string $provider): int
    {
        $this->readingDefaults = true;
        try {
            return (int) apply_filters($filter, $value, $provider, ['source' => 'sluice']);
        } finally {
            $this->readingDefaults = false;
        }
    }

    private function setting(string $name): ?int
    {
        $value = $this->settings()[$name] ?? null;
        return is_numeric($value) ? (int) $value : null;
    }

    /** @return array<string, mixed> */
    private function settings(): array
    {
        if (!$this->isActive()) {
            return [];
        }
        $settings = get_option(self::SETTINGS_OPTION, []);
        return is_array($settings) ? $settings : [];
    }
}
