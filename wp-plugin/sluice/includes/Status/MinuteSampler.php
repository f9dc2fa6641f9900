<?php
/**
 * The chart's minute sample (Log\MinuteSamples), from WP-Cron every minute
 * (Lifecycle\Cron): the site key's slots in use and release counter as the
 * lease store keeps them, and the site limit. One row a minute, nothing per
 * AI step.
 */

declare(strict_types=1);

namespace SluiceWP\Status;

use SluiceWP\Lifecycle\Cron;
use SluiceWP\Log\MinuteSamples;
use SluiceWP\Settings\Config;

defined('ABSPATH') || exit;

final class MinuteSampler
{
    public function __construct(
        private readonly SiteStatus $status,
        private readonly Config $config,
        private readonly MinuteSamples $samples,
    ) {
    }

    public function init(): void
    {
        add_action(MinuteSamples::CRON_HOOK, [$this, 'sample']);
        Cron::everyMinute(MinuteSamples::CRON_HOOK);
    }

    public function sample(): void
    {
        $site = null;
        try {
            $site = $this->status->siteKey();
        } catch (\Throwable $e) {
            error_log('Sluice: could not read the site key for the status chart: ' . $e->getMessage());
        }
        $providerLimit = -1;
        try {
            $providerLimit = $this->status->lowestProviderLimit();
        } catch (\Throwable $e) {
            error_log('Sluice: could not read the providers\' limits for the status chart: ' . $e->getMessage());
        }
        $this->samples->sample($site->active ?? 0, $this->config->siteLimit(), $site->released ?? 0, $providerLimit);
    }
}
