<?php
/**
 * A holder's label, written and read back here only: the gate labels a
 * lease "action N / job N / step X / provider" (job, step and provider only
 * when known), which operators read in the holders list and the event log
 * reads back for a stranded action; any other label (a lease taken by
 * other code) is shown as it is.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

final class HolderLabel
{
    private function __construct(
        public readonly string $raw,
        public readonly ?int $actionId,
        public readonly ?int $jobId,
        public readonly ?string $step,
        public readonly string $provider,
    ) {
    }

    /** The label of a lease taken for $work. */
    public static function write(AiWork $work): string
    {
        $parts = ['action ' . $work->action->id];
        if ($work->jobId !== null) {
            $parts[] = 'job ' . $work->jobId;
        }
        if ($work->flowStepId !== null) {
            $parts[] = 'step ' . $work->flowStepId;
        }
        if ($work->provider !== '') {
            $parts[] = $work->provider;
        }
        return implode(' / ', $parts);
    }

    public static function parse(string $label): self
    {
        $parts = explode(' / ', $label);
        if (preg_match('/^action (\d+)$/', $parts[0], $m) !== 1) {
            return new self($label, null, null, null, '');
        }
        $action = (int) $m[1];
        $job = null;
        $step = null;
        $provider = '';
        foreach (array_slice($parts, 1) as $part) {
            if ($job === null && $step === null && preg_match('/^job (\d+)$/', $part, $m) === 1) {
                $job = (int) $m[1];
            } elseif ($step === null && str_starts_with($part, 'step ')) {
                $step = substr($part, 5);
            } else {
                $provider = $part;
            }
        }
        return new self($label, $action, $job, $step, $provider);
    }

    /** True when the label came from the gate (it names an action). */
    public function isGate(): bool
    {
        return $this->actionId !== null;
    }
}
