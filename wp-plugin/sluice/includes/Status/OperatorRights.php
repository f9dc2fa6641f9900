<?php
/**
 * What the person looking may see and do beyond their own blog. A host-wide
 * key (sluice/provider:<slug>) is shared by every blog of the network and
 * every install of the host: resetting it frees other sites' slots while
 * their work still runs, and its holders are other sites' processes and
 * work. Both take a network administrator (manage_network_options; nobody
 * holds it on a single site, where the key is shared with other installs),
 * or WP-CLI run without --user: the host's operator, who reads the segment
 * and the tables anyway. Everyone else sees another site's holders without
 * token, pid, host, label or action id (Holder::redacted()) and cannot reset
 * a host-wide key.
 */

declare(strict_types=1);

namespace SluiceWP\Status;

defined('ABSPATH') || exit;

final class OperatorRights
{
    public const NETWORK_CAPABILITY = 'manage_network_options';

    /** May see who holds slots for other blogs and installs. */
    public static function seesOtherSites(): bool
    {
        return self::isNetworkOperator();
    }

    /** May reset a host-wide key. */
    public static function mayResetHostWideKeys(): bool
    {
        return self::isNetworkOperator();
    }

    private static function isNetworkOperator(): bool
    {
        if (defined('WP_CLI') && WP_CLI && get_current_user_id() === 0) {
            return true;
        }
        return current_user_can(self::NETWORK_CAPABILITY);
    }
}
