<?php
/**
 * Tells AI work from everything else. Data Machine's adapter is one
 * classifier; the sluice_is_ai_action filter adds other hooks.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

interface WorkClassifier
{
    /** The action as AI work, or null when it is not AI work (it then passes untouched). */
    public function classify(ScheduledAction $action): ?AiWork;
}
