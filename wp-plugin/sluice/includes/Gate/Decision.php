<?php
/**
 * What the gate did with one action, for callers, tests and the event log.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

enum Decision: string
{
    /** Not AI work, not pending, recurring, or gating is off: untouched. */
    case Pass = 'pass';
    /** A slot was taken and is held for the action until it ends. */
    case Admit = 'admit';
    /** No slot: an identical copy was scheduled later and this action cancelled. */
    case Defer = 'defer';
    /** No slot, but the scheduler refused the copy: the original runs anyway, ungated. */
    case CopyRefused = 'copy_refused';
    /** The backend failed: the action runs ungated (a broken limiter must not stop the site's work). */
    case BackendError = 'backend_error';
}
