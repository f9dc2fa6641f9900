<?php
/**
 * A capacity alert in words, for the operator (the CLI's reason for its
 * exit status, the admin notice, the status page): plain text, escaped by
 * whoever prints it as HTML.
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

defined('ABSPATH') || exit;

final class AlertText
{
    public static function of(CapacityAlert $alert): string
    {
        if ($alert->kind === CapacityAlert::UTILISATION) {
            return sprintf(
                /* translators: 1: key name, 2: utilisation such as 0.93, 3: minutes */
                __('%1$s is loaded past what its limit serves well: its work needed at least %2$s of the limit in each of the last %3$d minutes (above 0.8 the wait grows fast). Raise the limit, add runners or send less work.', 'sluice'),
                $alert->key,
                number_format($alert->value, 2),
                CapacityAlerts::RHO_MINUTES,
            );
        }
        return sprintf(
            /* translators: 1: key name, 2: minutes, 3: how many steps, 4: steps waiting now */
            __('%1$s falls behind: more AI steps arrived than started in each of the last %2$d minutes (%3$d more in all); %4$d wait now.', 'sluice'),
            $alert->key,
            CapacityAlerts::BACKLOG_MINUTES,
            (int) round($alert->value),
            $alert->lineLength,
        );
    }
}
