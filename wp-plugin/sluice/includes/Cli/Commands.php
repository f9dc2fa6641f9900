<?php
/**
 * `wp sluice`, `wp sluice config`, `health` and `capacity`, registered when WP-CLI runs, each
 * command object built with what it needs.
 */

declare(strict_types=1);

namespace SluiceWP\Cli;

use SluiceWP\Capacity\CapacityCollector;
use SluiceWP\Gate\Gate;
use SluiceWP\Log\ItemStory;
use SluiceWP\Plugin;
use WP_CLI;

defined('ABSPATH') || exit;

final class Commands
{
    public function __construct(private readonly Plugin $plugin)
    {
    }

    public function init(): void
    {
        $plugin = $this->plugin;
        WP_CLI::add_command('sluice', new SluiceCommand($plugin->siteStatus(), $plugin->backends, $plugin->config, static fn (): ?Gate => $plugin->gate()));
        (new StatusCommand($plugin->siteStatus()))->register();
        WP_CLI::add_command('sluice config', new ConfigCommand($plugin->config, static fn () => $plugin->capacity()));
        WP_CLI::add_command('sluice health', new HealthCommand($plugin->siteStatus()));
        WP_CLI::add_command('sluice capacity', new CapacityCommand(new CapacityCollector($plugin->backends, $plugin->siteStatus())));
        WP_CLI::add_command('sluice events', new EventsCommand(new ItemStory()));
    }
}
