<?php
/**
 * Lets sites say what else is AI work: the hooks an operator listed in the
 * settings, and the filter `sluice_is_ai_action` (bool $is_ai, string $hook,
 * array $args, string $group), which can also turn a Data Machine AI step off.
 * The filter `sluice_ai_action_provider` (string $provider, string $hook,
 * array $args, string $group) names the provider of such work; `sluice_tenant`
 * (string $tenant, hook, args, group; default the Data Machine flow, or the
 * hook) says whose work it is, e.g. the blog on a network, and
 * `sluice_ticket_weight` (int 1..100, default 10; tenant, hook, args) its
 * share of turns in the waiting line.
 */

declare(strict_types=1);

namespace SluiceWP\Settings;

use SluiceWP\Gate\AiWork;
use SluiceWP\Gate\ScheduledAction;
use SluiceWP\Gate\WorkClassifier;

defined('ABSPATH') || exit;

final class AiWorkFilter implements WorkClassifier
{
    public function __construct(
        private readonly WorkClassifier $inner,
        private readonly Config $config,
    ) {
    }

    public function classify(ScheduledAction $action): ?AiWork
    {
        $work = $this->inner->classify($action);
        $isAi = $work !== null || in_array($action->hook, $this->config->aiHooks(), true);
        $isAi = (bool) apply_filters('sluice_is_ai_action', $isAi, $action->hook, $action->args, $action->group);
        if (!$isAi) {
            return null;
        }
        if ($work === null) {
            $provider = (string) apply_filters('sluice_ai_action_provider', '', $action->hook, $action->args, $action->group);
            $work = new AiWork($action, $provider, null, null, 'hook:' . $action->hook);
        }
        $tenant = (string) apply_filters('sluice_tenant', $work->tenant, $action->hook, $action->args, $action->group);
        $weight = (int) apply_filters('sluice_ticket_weight', $work->weight, $tenant, $action->hook, $action->args);
        return $work->withTenant($tenant, $weight);
    }
}
