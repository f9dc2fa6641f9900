<?php
/**
 * Validates the option `sluice_settings` (sanitize callback of the Settings
 * API, and `wp sluice config set`) against Fields: from the settings form (strings, a marker field `_form`) or from
 * code (update_option with ints, bools and arrays), idempotent either way
 * (WordPress may run it twice on one save). A bad value is reported with
 * add_settings_error and the stored value of that field is kept; fields the
 * page does not manage pass through untouched. On a multisite a blog cannot
 * change the network's settings (Fields::NETWORK_WIDE); the network's own
 * (NetworkSettings) go through sanitizeNetwork().
 */

declare(strict_types=1);

namespace SluiceWP\Settings;

use SluiceWP\Backend\Capacity;

defined('ABSPATH') || exit;

final class Sanitizer
{
    public const FORM_MARKER = '_form';

    /** @var list<array{code: string, message: string}> */
    private array $errors = [];

    /** @param ?Capacity $capacity the store in use: no limit may exceed what it holds per key */
    public function __construct(private readonly ?Capacity $capacity = null)
    {
    }

    /**
     * A blog's settings (the option sluice_settings). On a multisite a change to a setting that is the
     * network's (Fields::NETWORK_WIDE) is refused and its stored value kept.
     *
     * @return array<string, mixed>
     */
    public function sanitize(mixed $input): array
    {
        $out = $this->clean($input, Fields::stored(), false);
        foreach ($this->errors as $error) {
            // settings_errors() prints a message as HTML, and these quote what was entered: escaped here, where
            // they become HTML (errors() keeps them plain for `wp sluice config set`).
            add_settings_error(Fields::OPTION, $error['code'], esc_html($error['message']), 'error');
        }
        return $out;
    }

    /**
     * The network's settings (NetworkSettings::FIELDS only), checked as a blog's are.
     *
     * @param array<mixed> $old what the network stored
     * @return array<string, mixed>
     */
    public function sanitizeNetwork(mixed $input, array $old): array
    {
        return $this->clean($input, $old, true);
    }

    /**
     * @param array<mixed> $old
     * @return array<string, mixed>
     */
    private function clean(mixed $input, array $old, bool $network): array
    {
        $this->errors = [];
        $fields = $network ? array_intersect_key(Fields::all(), array_flip(NetworkSettings::FIELDS)) : Fields::all();
        if (!is_array($input)) {
            $this->error('sluice_invalid', __('The settings could not be read; nothing was changed.', 'sluice'));
            return $old;
        }
        $fromForm = array_key_exists(self::FORM_MARKER, $input);
        unset($input[self::FORM_MARKER]);
        foreach ($network ? [] : array_filter(array_keys($fields), Fields::fromNetwork(...)) as $name) {
            // Not a blog's to set: the form does not carry it (its stored value stays), a change from code is refused.
            if ($fromForm) {
                unset($fields[$name]);
            } elseif (array_key_exists($name, $input) && $input[$name] != ($old[$name] ?? null)) {
                $this->error('sluice_' . $name, (string) Fields::networkRefusal($name));
                $this->keep($name, $old, $input);
            }
        }
        // From the form: the page's fields replace theirs, every other setting stays. From code: what was passed.
        if ($fromForm) {
            // The form carries only the page's fields: a setting it does not show keeps its stored value.
            $fields = array_filter($fields, static fn (Field $field): bool => $field->onSettingsPage);
            $input = array_intersect_key($input, $fields);
        }
        $out = $fromForm ? array_diff_key($old, $fields) : array_diff_key($input, $fields);

        $this->check($fields, [Field::BOOL, Field::INT], $input, $old, $fromForm, $out);
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
        $this->check($fields, [Field::PROVIDER_LIMITS, Field::CHOICE, Field::HOOKS], $input, $old, $fromForm, $out);
        return $out;
    }

    /** @return list<array{code: string, message: string}> the last run's errors */
    public function errors(): array
    {
        return $this->errors;
    }

    /**
     * Checks the fields of these types, in Fields' order (the types in the order given).
     *
     * @param array<string, Field> $fields
     * @param list<string>         $types
     * @param array<mixed>         $input
     * @param array<mixed>         $old
     * @param array<mixed>         $out
     */
    private function check(array $fields, array $types, array $input, array $old, bool $fromForm, array &$out): void
    {
        foreach ($types as $type) {
            foreach ($fields as $field) {
                if ($field->type !== $type) {
                    continue;
                }
                match ($type) {
                    Field::BOOL => $this->bool($field, $input, $fromForm, $out),
                    Field::INT => $this->number($field, $input, $old, $out),
                    Field::CHOICE => $this->choice($field, $input, $old, $out),
                    Field::PROVIDER_LIMITS => $this->providerLimits($field, $input, $old, $out),
                    default => $this->hooks($field, $input, $old, $out),
                };
            }
        }
    }

    /**
     * From the form an unchecked box is absent: false. From code: what was passed.
     *
     * @param array<mixed> $input
     * @param array<mixed> $out
     */
    private function bool(Field $field, array $input, bool $fromForm, array &$out): void
    {
        if ($fromForm || array_key_exists($field->name, $input)) {
            $out[$field->name] = $fromForm ? !empty($input[$field->name]) : (bool) $input[$field->name];
        }
    }

    /**
     * @param array<mixed> $input
     * @param array<mixed> $old
     * @param array<mixed> $out
     */
    private function choice(Field $field, array $input, array $old, array &$out): void
    {
        if (!array_key_exists($field->name, $input)) {
            return;
        }
        $value = is_string($input[$field->name]) ? sanitize_key($input[$field->name]) : '';
        if (array_key_exists($value, $field->choices)) {
            $out[$field->name] = $value;
            return;
        }
        $this->error('sluice_' . $field->name, sprintf(
            /* translators: 1: the setting's name, 2: the values it takes */
            __('%1$s must be %2$s; it was not changed.', 'sluice'),
            $field->title,
            implode(', ', array_keys($field->choices)),
        ));
        $this->keep($field->name, $old, $out);
    }

    /**
     * @param array<mixed> $input
     * @param array<mixed> $old
     * @param array<mixed> $out
     */
    private function number(Field $field, array $input, array $old, array &$out): void
    {
        if (!array_key_exists($field->name, $input)) {
            return;
        }
        [$min, $max] = [$field->min, $field->max];
        $raw = $input[$field->name];
        $text = is_int($raw) ? (string) $raw : (is_string($raw) ? trim($raw) : null);
        if ($text === '' || $raw === null) {
            return; // empty: the default applies
        }
        if ($text !== null && preg_match('/^\d{1,9}$/', $text) === 1 && (int) $text >= $min && (int) $text <= $max) {
            if ($this->aboveCapacity($field, (int) $text)) {
                $this->keep($field->name, $old, $out);
                return;
            }
            $out[$field->name] = (int) $text;
            return;
        }
        $this->error('sluice_' . $field->name, sprintf(
            /* translators: 1: the field's name, 2: what was entered, 3: smallest allowed, 4: largest allowed */
            __('%1$s must be a whole number from %3$d to %4$d, not "%2$s"; the previous value was kept.', 'sluice'),
            $field->title,
            is_scalar($raw) ? (string) $raw : gettype($raw),
            $min,
            $max,
        ));
        $this->keep($field->name, $old, $out);
    }

    /**
     * @param array<mixed> $input
     * @param array<mixed> $old
     * @param array<mixed> $out
     */
    private function providerLimits(Field $field, array $input, array $old, array &$out): void
    {
        if (!array_key_exists($field->name, $input)) {
            return;
        }
        $limits = $this->parseProviderLimits($field, $input[$field->name]);
        if ($limits === null) {
            $this->keep($field->name, $old, $out);
        } elseif ($limits !== []) {
            $out[$field->name] = $limits;
        }
    }

    /**
     * @param array<mixed> $input
     * @param array<mixed> $old
     * @param array<mixed> $out
     */
    private function hooks(Field $field, array $input, array $old, array &$out): void
    {
        if (!array_key_exists($field->name, $input)) {
            return;
        }
        $hooks = $this->parseHooks($field, $input[$field->name]);
        if ($hooks === null) {
            $this->keep($field->name, $old, $out);
        } elseif ($hooks !== []) {
            $out[$field->name] = $hooks;
        }
    }

    /**
     * "name = number" lines (provider limits, mode limits): slug => 0..max.
     *
     * @return array<string, int>|null null when invalid (errors reported)
     */
    private function parseProviderLimits(Field $field, mixed $raw): ?array
    {
        $code = 'sluice_' . $field->name;
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
                    $this->error($code, sprintf(
                        /* translators: 1: the setting's title, 2: line number, 3: the line */
                        __('%1$s, line %2$d ("%3$s"): write name = limit; the previous values were kept.', 'sluice'),
                        $field->title,
                        $n + 1,
                        $line,
                    ));
                    return null;
                }
                $pairs[] = [trim($parts[0]), trim($parts[1])];
            }
        } else {
            /* translators: %s: the setting's title */
            $this->error($code, sprintf(__('%s could not be read; the previous values were kept.', 'sluice'), $field->title));
            return null;
        }
        $limits = [];
        foreach ($pairs as [$provider, $limit]) {
            $slug = sanitize_key($provider);
            if ($slug === '' || $slug !== strtolower($provider)) {
                $this->error($code, sprintf(
                    /* translators: 1: the setting's title, 2: the name entered */
                    __('%1$s: "%2$s" is not a slug (lowercase letters, digits, - and _); the previous values were kept.', 'sluice'),
                    $field->title,
                    $provider,
                ));
                return null;
            }
            if (preg_match('/^\d{1,9}$/', $limit) !== 1 || (int) $limit > $field->max) {
                $this->error($code, sprintf(
                    /* translators: 1: the setting's title, 2: provider or mode, 3: what was entered, 4: largest allowed */
                    __('%1$s: the limit of %2$s must be a whole number from 0 (none) to %4$d, not "%3$s"; the previous values were kept.', 'sluice'),
                    $field->title,
                    $slug,
                    $limit,
                    $field->max,
                ));
                return null;
            }
            // Budgets per minute are no slots: the store's slots per key do not bound them.
            if (!in_array($field->name, [Fields::RPM_LIMITS, Fields::TPM_LIMITS], true) && $this->aboveCapacity(Fields::get(Fields::PROVIDER_LIMITS) ?? throw new \LogicException('no provider_limits field'), (int) $limit, $slug)) {
                return null;
            }
            $limits[$slug] = (int) $limit;
        }
        return $limits;
    }

    /**
     * A list of names (AI hooks, exempt modes), at most $field->max.
     *
     * @return list<string>|null null when invalid (errors reported)
     */
    private function parseHooks(Field $field, mixed $raw): ?array
    {
        $code = 'sluice_' . $field->name;
        if (is_string($raw)) {
            $raw = preg_split('/[\s,]+/', $raw) ?: [];
        }
        if (!is_array($raw)) {
            /* translators: %s: the setting's title */
            $this->error($code, sprintf(__('%s could not be read; the previous values were kept.', 'sluice'), $field->title));
            return null;
        }
        $hooks = [];
        foreach ($raw as $hook) {
            $hook = is_scalar($hook) ? trim((string) $hook) : '';
            if ($hook === '') {
                continue;
            }
            if (preg_match('#^[A-Za-z0-9_.:/-]{1,191}$#', $hook) !== 1) {
                $this->error($code, sprintf(
                    /* translators: 1: the setting's title, 2: the name entered */
                    __('%1$s: "%2$s" is not a name (letters, digits and _ . : / -); the previous values were kept.', 'sluice'),
                    $field->title,
                    $hook,
                ));
                return null;
            }
            $hooks[$hook] = $hook;
        }
        if (count($hooks) > $field->max) {
            /* translators: 1: the setting's title, 2: the most names allowed */
            $this->error($code, sprintf(__('%1$s: at most %2$d; the previous values were kept.', 'sluice'), $field->title, $field->max));
            return null;
        }
        return array_values($hooks);
    }

    /**
     * A limit above what the store in use holds per key (the extension's
     * sluice.max_slots_per_key, 64 by default; 1024 on the database and Redis
     * backends) is refused with a message naming the maximum and what raises it.
     */
    private function aboveCapacity(Field $field, int $value, string $provider = ''): bool
    {
        if ($this->capacity === null || !in_array($field->name, Fields::LIMITS, true) || $value <= ($max = $this->capacity->maxLimit())) {
            return false;
        }
        $raise = $this->capacity->raiseMaxLimit();
        $this->error('sluice_' . $field->name, sprintf(
            /* translators: 1: the setting's name (and provider), 2: what was entered, 3: the most the store holds, 4: what raises it */
            __('%1$s cannot be %2$d: the lease store in use holds at most %3$d slots per key%4$s; the previous value was kept.', 'sluice'),
            $provider !== '' ? $field->title . ' (' . $provider . ')' : $field->title,
            $value,
            $max,
            $raise !== '' ? ' (' . sprintf(/* translators: %s: what raises the maximum */ __('for more, %s', 'sluice'), $raise) . ')' : '',
        ));
        return true;
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

}
