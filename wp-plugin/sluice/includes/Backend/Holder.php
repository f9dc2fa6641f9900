<?php
/**
 * One lease as operators see it on a key.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class Holder
{
    /** The host of the holder's process: this host's name unless the store says otherwise (the database backend's holders may be anywhere). */
    public readonly string $host;

    public function __construct(
        public readonly string $token,
        public readonly int $pid,
        public readonly string $label,
        public readonly int $ageMs,
        public readonly int $ttlLeftMs,
        /** A provider request is open: if the holder dies, the slot drains for drainLeftMs. */
        public readonly bool $requestOpen,
        public readonly int $drainLeftMs,
        /** The scheduled action it runs (0 when unknown). */
        public readonly int $ref = 0,
        /** A slot reserved for a woken ticket, not yet taken by its action. */
        public readonly bool $reservation = false,
        string $host = '',
        /** The install and blog whose work it runs ("<install>/<blog>", Scope; "" when the store does not know). */
        public readonly string $scope = '',
        /** Shown without token, pid, host, label and action id: another site's, to someone who may not see it. */
        public readonly bool $redacted = false,
        /** Its process is gone; a slot whose provider request is still open drains for drainLeftMs, else it comes back on the next acquire (false where the store cannot tell). */
        public readonly bool $ownerDead = false,
    ) {
        $this->host = $redacted ? '' : ($host !== '' ? $host : (string) gethostname());
    }

    /** This lease without what identifies its process and its work; its ages, drain and scope stay. */
    public function redacted(): self
    {
        return new self(...array_merge(get_object_vars($this), ['token' => '', 'pid' => 0, 'label' => '', 'ref' => 0, 'host' => '', 'redacted' => true]));
    }
}
