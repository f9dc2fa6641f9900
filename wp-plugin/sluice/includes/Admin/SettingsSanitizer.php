<?php
/**
 * Validates the option `sluice_settings` (sanitize callback of the Settings
 * API): from the settings form (strings, a marker field `_form`) or from
 * code (update_option with ints, bools and arrays), idempotent either way
 * (WordPress may run it twice on one save). A bad value is reported with
 * add_settings_error and the stored value of that field is kept; fields the
 * page does not manage pass through untouched.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Settings\Config;

final class SettingsSanitizer
{
    public const FORM_MARKER = '_form';
    public const BACKENDS = ['auto', 'native', 'database'];
    /** The fields the settings page manages. */
    public const FIELDS = ['enabled', 'site_limit', 'provider_limits', 'tenant_limit', 'throttle_delay', 'throttle_delay_max', 'lease_ttl', 'backend', 'ai_hooks'];
    /** Whole-number fields: [min, max]. */
    private const RANGES = [
        'site_limit' => [1, 1000],
        'tenant_limit' => [0, 1000],
        'throttle_delay' => [1, 3600],
        'throttle_delay_max' => [1, 86400],
        'lease_ttl' => [60, 86400],
    ];
    private const PROVIDER_LIMIT_MAX = 1000;
    private const MAX_HOOKS = 100;

    /** @var list<array{code: string, message: string}> */
    private array $errors = [];

    /**
     * @return array<string, mixed>
     */
    public function sanitize(mixed $input): array
    {
        $this->errors = [];
        $stored = get_option(Config::OPTION, []);
        $old = is_array($stored) ? $stored : [];
        if (!is_array($input)) {
            $this->error('sluice_invalid', __('The settings could not be read; nothing was changed.', 'sluice'));
            return $old;
        }
        $fromForm = array_key_exists(self::FORM_MARKER, $input);
        unset($input[self::FORM_MARKER]);
        // From the form: the page's fields replace theirs, every other setting stays. From code: what was passed.
        $out = $fromForm ? array_diff_key($old, array_flip(self::FIELDS)) : array_diff_key($input, array_flip(self::FIELDS));

        if ($fromForm || array_key_exists('enabled', $input)) {
            $out['enabled'] = $fromForm ? !empty($input['enabled']) : (bool) $input['enabled'];
        }
        foreach (self::RANGES as $field => [$min, $max]) {
            $this->number($field, $input, $old, $out, $min, $max);
        }
        if (isset($out['throttle_delay'], $out['throttle_delay_max']) && $out['throttle_delay_max'] < $out['throttle_delay']) {
            $this->error('sluice_throttle_delay_max', sprintf(
                /* translators: 1: the maximum delay entered, 2: the throttle delay */
                __('The maximum throttle delay (%1$d s) must be at least the throttle delay (%2$d s); the maximum was not changed.', 'sluice'),
                $out['throttle_delay_max'],
                $out['throttle_delay'],
            ));
            $this->keep('throttle_delay_max', $old, $out);
            if (isset($out['throttle_delay_max']) && $out['throttle_delay_max'] < $out['throttle_delay']) {
                unset($out['throttle_delay_max']);
            }
        }
        if (array_key_exists('provider_limits', $input)) {
            $limits = $this->providerLimits($input['provider_limits']);
            if ($limits === null) {
                $this->keep('provider_limits', $old, $out);
            } elseif ($limits !== []) {
                $out['provider_limits'] = $limits;
            }
        }
        if (array_key_exists('backend', $input)) {
            $backend = is_string($input['backend']) ? sanitize_key($input['backend']) : '';
            if (in_array($backend, self::BACKENDS, true)) {
                $out['backend'] = $backend;
            } else {
                $this->error('sluice_backend', __('The backend must be auto, native or database; it was not changed.', 'sluice'));
                $this->keep('backend', $old, $out);
            }
        }
        if (array_key_exists('ai_hooks', $input)) {
            $hooks = $this->hooks($input['ai_hooks']);
            if ($hooks === null) {
                $this->keep('ai_hooks', $old, $out);
            } elseif ($hooks !== []) {
                $out['ai_hooks'] = $hooks;
            }
        }
        foreach ($this->errors as $error) {
            add_settings_error(Config::OPTION, $error['code'], $error['message'], 'error');
        }
        return $out;
    }

    /** @return list<array{code: string, message: string}> the last run's errors */
    public function errors(): array
    {
        return $this->errors;
    }

    /**
     * @param array<mixed> $input
     * @param array<mixed> $old
     * @param array<mixed> $out
     */
    private function number(string $field, array $input, array $old, array &$out, int $min, int $max): void
    {
        if (!array_key_exists($field, $input)) {
            return;
        }
        $raw = $input[$field];
        $text = is_int($raw) ? (string) $raw : (is_string($raw) ? trim($raw) : null);
        if ($text === '' || $raw === null) {
            return; // empty: the default applies
        }
        if ($text !== null && preg_match('/^\d{1,9}$/', $text) === 1 && (int) $text >= $min && (int) $text <= $max) {
            $out[$field] = (int) $text;
            return;
        }
        $this->error('sluice_' . $field, sprintf(
            /* translators: 1: the field's name, 2: what was entered, 3: smallest allowed, 4: largest allowed */
            __('%1$s must be a whole number from %3$d to %4$d, not "%2$s"; the previous value was kept.', 'sluice'),
            $this->label($field),
            is_scalar($raw) ? (string) $raw : gettype($raw),
            $min,
            $max,
        ));
        $this->keep($field, $old, $out);
    }

    /** @return array<string, int>|null null when invalid (errors reported) */
    private function providerLimits(mixed $raw): ?array
    {
        $pairs = [];
        if (is_array($raw)) {
            foreach ($raw as $provider => $limit) {
                $pairs[] = [(string) $provider, is_scalar($limit) ? (string) $limit : ''];
            }
        } elseif (is_string($raw)) {
            foreach (preg_split('/\R/', $raw) ?: [] as $n => $line) {
                $line = trim($line);
                if ($line === '') {
                    continue;
                }
                $parts = explode('=', $line, 2);
                if (count($parts) !== 2) {
                    $this->error('sluice_provider_limits', sprintf(
                        /* translators: 1: line number, 2: the line */
                        __('Provider limits, line %1$d ("%2$s"): write provider = limit; the previous provider limits were kept.', 'sluice'),
                        $n + 1,
                        $line,
                    ));
                    return null;
                }
                $pairs[] = [trim($parts[0]), trim($parts[1])];
            }
        } else {
            $this->error('sluice_provider_limits', __('Provider limits could not be read; the previous ones were kept.', 'sluice'));
            return null;
        }
        $limits = [];
        foreach ($pairs as [$provider, $limit]) {
            $slug = sanitize_key($provider);
            if ($slug === '' || $slug !== strtolower($provider)) {
                $this->error('sluice_provider_limits', sprintf(
                    /* translators: %s: the provider name entered */
                    __('"%s" is not a provider slug (lowercase letters, digits, - and _); the previous provider limits were kept.', 'sluice'),
                    $provider,
                ));
                return null;
            }
            if (preg_match('/^\d{1,9}$/', $limit) !== 1 || (int) $limit > self::PROVIDER_LIMIT_MAX) {
                $this->error('sluice_provider_limits', sprintf(
                    /* translators: 1: provider, 2: what was entered, 3: largest allowed */
                    __('The limit of provider %1$s must be a whole number from 0 (none) to %3$d, not "%2$s"; the previous provider limits were kept.', 'sluice'),
                    $slug,
                    $limit,
                    self::PROVIDER_LIMIT_MAX,
                ));
                return null;
            }
            $limits[$slug] = (int) $limit;
        }
        return $limits;
    }

    /** @return list<string>|null null when invalid (errors reported) */
    private function hooks(mixed $raw): ?array
    {
        if (is_string($raw)) {
            $raw = preg_split('/[\s,]+/', $raw) ?: [];
        }
        if (!is_array($raw)) {
            $this->error('sluice_ai_hooks', __('The AI hooks could not be read; the previous ones were kept.', 'sluice'));
            return null;
        }
        $hooks = [];
        foreach ($raw as $hook) {
            $hook = is_scalar($hook) ? trim((string) $hook) : '';
            if ($hook === '') {
                continue;
            }
            if (preg_match('#^[A-Za-z0-9_.:/-]{1,191}$#', $hook) !== 1) {
                $this->error('sluice_ai_hooks', sprintf(
                    /* translators: %s: the hook name entered */
                    __('"%s" is not a hook name (letters, digits and _ . : / -); the previous AI hooks were kept.', 'sluice'),
                    $hook,
                ));
                return null;
            }
            $hooks[$hook] = $hook;
        }
        if (count($hooks) > self::MAX_HOOKS) {
            /* translators: %d: the most hooks allowed */
            $this->error('sluice_ai_hooks', sprintf(__('At most %d AI hooks; the previous ones were kept.', 'sluice'), self::MAX_HOOKS));
            return null;
        }
        return array_values($hooks);
    }

    /**
     * @param array<mixed> $old
     * @param array<mixed> $out
     */
    private function keep(string $field, array $old, array &$out): void
    {
        if (array_key_exists($field, $old)) {
            $out[$field] = $old[$field];
        } else {
            unset($out[$field]);
        }
    }

    private function error(string $code, string $message): void
    {
        $this->errors[] = ['code' => $code, 'message' => $message];
    }

    private function label(string $field): string
    {
        return match ($field) {
            'site_limit' => __('Site limit', 'sluice'),
            'tenant_limit' => __('Tenant limit', 'sluice'),
            'throttle_delay' => __('Throttle delay', 'sluice'),
            'throttle_delay_max' => __('Maximum throttle delay', 'sluice'),
            'lease_ttl' => __('Lease TTL', 'sluice'),
            default => $field,
        };
    }
}
