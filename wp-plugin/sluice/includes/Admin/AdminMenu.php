<?php
/**
 * The Sluice menu of wp-admin: Status (the top entry) and Settings, both for
 * manage_options. Data Machine's settings are shown as the defaults when it
 * is active.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\DataMachine\DataMachine;
use SluiceWP\Settings\Config;
use SluiceWP\Settings\NoDefaults;

final class AdminMenu
{
    /** @param object{dataMachine: DataMachine, config: Config} $services sluice_services() */
    public static function add(string $pluginFile, object $services, StatusSource $source): void
    {
        (new StatusPage($pluginFile, $source))->addMenu();
        $dataMachine = $services->dataMachine;
        $active = $dataMachine->isActive();
        (new SettingsPage(
            $services->config,
            $active ? $dataMachine : new NoDefaults(),
            $active ? __('Data Machine', 'sluice') : '',
            $source,
        ))->addMenu();
    }
}
