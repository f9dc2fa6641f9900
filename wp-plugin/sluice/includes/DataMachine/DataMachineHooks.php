<?php
/**
 * Data Machine, when it is active: its own limiter stands down while Sluice
 * gates (so no step is throttled twice), and Sluice's deferrals reach its log.
 */

declare(strict_types=1);

namespace SluiceWP\DataMachine;

use SluiceWP\Backend\BackendChoice;
use SluiceWP\Settings\Config;

defined('ABSPATH') || exit;

final class DataMachineHooks
{
    public function __construct(
        private readonly DataMachine $dataMachine,
        private readonly Config $config,
        private readonly BackendChoice $backends,
    ) {
    }

    public function init(): void
    {
        add_action('plugins_loaded', function (): void {
            if (!$this->dataMachine->isActive()) {
                return;
            }
            if ($this->config->enabled() && $this->backends->backend() !== null) {
                $this->dataMachine->neutraliseOwnLimiter();
            }
            add_action('sluice_action_deferred', [$this->dataMachine, 'logDeferral'], 10, 1);
        }, 20);
    }
}
