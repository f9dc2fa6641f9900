<?php
declare(strict_types=1);

namespace Sluice\WpTests\Lifecycle;

use Sluice\WpTests\Gate\GateTestCase;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

/**
 * Sluice's strings are translatable: every call of WordPress's gettext
 * functions in the plugin names the text domain `sluice` (the plugin header's
 * Text Domain), the template languages/sluice.pot exists (tools/make-pot),
 * and the plugin loads its domain on init from its own languages/ folder
 * (load_plugin_textdomain), which a process of the site in another locale shows.
 */
final class TranslationTest extends GateTestCase
{
    private const GETTEXT = [
        '__' => 1, '_e' => 1, '_x' => 2, '_ex' => 2, '_n' => 3, '_nx' => 4,
        'esc_html__' => 1, 'esc_html_e' => 1, 'esc_html_x' => 2, 'esc_attr__' => 1, 'esc_attr_e' => 1, 'esc_attr_x' => 2,
    ];

    public function testEveryTranslatableStringUsesTheSluiceTextDomain(): void
    {
        $plugin = WP_PLUGIN_DIR . '/sluice';  // the plugin the site loads (tools/wordpress may load a copy)
        self::assertStringContainsString('Text Domain:       sluice', (string) file_get_contents($plugin . '/sluice.php'));
        self::assertFileExists($plugin . '/languages/sluice.pot', 'tools/make-pot writes the template');
        $calls = 0;
        $wrong = [];
        $files = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($plugin, \FilesystemIterator::SKIP_DOTS));
        foreach ($files as $file) {
            if ($file->getExtension() !== 'php') {
                continue;
            }
            foreach (self::gettextCalls((string) file_get_contents($file->getPathname())) as [$function, $line, $domain]) {
                $calls++;
                if (!in_array($domain, ["'sluice'", '"sluice"'], true)) {
                    $wrong[] = substr($file->getPathname(), strlen($plugin) + 1) . ":$line $function(..., " . ($domain ?? 'no domain') . ')';
                }
            }
        }
        self::assertGreaterThan(50, $calls, 'the plugin\'s strings were found');
        self::assertSame([], $wrong, 'gettext calls without the sluice text domain');
    }

    public function testThePluginLoadsItsTextDomainFromItsLanguagesFolderOnInit(): void
    {
        $mo = WP_PLUGIN_DIR . '/sluice/languages/sluice-xx_XX.mo';
        try {
            file_put_contents($mo, self::mo(['' => "Content-Type: text/plain; charset=UTF-8\n", 'Released lease %s.' => 'Lease %s freigegeben (xx).']));
            // The locale filter is in place before WordPress loads (a pre-initialised hook), so init sees xx_XX.
            $child = Runner::php('$wp_filter = ["locale" => [10 => [["function" => static fn () => "xx_XX", "accepted_args" => 1]]]];
                require $loader;
                echo json_encode([did_action("init") > 0, is_textdomain_loaded("sluice"), __("Released lease %s.", "sluice")]), "\n";', ['loader' => Site::loader()]);
            self::assertSame(0, $child->wait(), $child->output());
            $lines = array_values(array_filter(explode("\n", $child->output()), static fn (string $l): bool => str_starts_with($l, '[')));
            self::assertSame([true, true, 'Lease %s freigegeben (xx).'], json_decode($lines[0] ?? 'null', true), $child->output());
        } finally {
            @unlink($mo);
        }
    }

    /**
     * A gettext MO file (what msgfmt writes) holding these translations.
     *
     * @param array<string, string> $messages original => translation
     */
    private static function mo(array $messages): string
    {
        ksort($messages, SORT_STRING);
        $count = count($messages);
        $originalsAt = 28;
        $translationsAt = $originalsAt + 8 * $count;
        $stringsAt = $translationsAt + 8 * $count;
        $tables = ['', ''];
        $strings = '';
        foreach ([array_keys($messages), array_values($messages)] as $t => $list) {
            foreach ($list as $string) {
                $tables[$t] .= pack('VV', strlen($string), $stringsAt + strlen($strings));
                $strings .= $string . "\0";
            }
        }
        return pack('V7', 0x950412de, 0, $count, $originalsAt, $translationsAt, 0, $stringsAt) . $tables[0] . $tables[1] . $strings;
    }

    /**
     * The gettext calls of a PHP file: [function, line, its domain argument as written (null when missing)].
     *
     * @return list<array{0: string, 1: int, 2: ?string}>
     */
    private static function gettextCalls(string $code): array
    {
        $tokens = array_values(array_filter(token_get_all($code), static fn ($t): bool => !is_array($t) || !in_array($t[0], [T_WHITESPACE, T_COMMENT, T_DOC_COMMENT], true)));
        $calls = [];
        foreach ($tokens as $i => $token) {
            if (!is_array($token) || $token[0] !== T_STRING || !isset(self::GETTEXT[$token[1]]) || ($tokens[$i + 1] ?? null) !== '(') {
                continue;
            }
            $previous = $tokens[$i - 1] ?? null;
            if (is_array($previous) && in_array($previous[0], [T_FUNCTION, T_OBJECT_OPERATOR, T_DOUBLE_COLON], true)) {
                continue; // a declaration or a method of the same name
            }
            // Split the arguments at top-level commas.
            $depth = 0;
            $args = [[]];
            for ($j = $i + 2; $j < count($tokens); $j++) {
                $t = $tokens[$j];
                if (in_array($t, ['(', '[', '{'], true) || (is_array($t) && in_array($t[0], [T_CURLY_OPEN, T_DOLLAR_OPEN_CURLY_BRACES], true))) {
                    $depth++;
                } elseif (in_array($t, [')', ']', '}'], true)) {
                    if ($depth === 0) {
                        break;
                    }
                    $depth--;
                } elseif ($t === ',' && $depth === 0) {
                    $args[] = [];
                    continue;
                }
                $args[count($args) - 1][] = is_array($t) ? $t[1] : $t;
            }
            $args = array_values(array_filter($args, static fn (array $a): bool => $a !== []));
            $domain = $args[self::GETTEXT[$token[1]]] ?? null;
            $calls[] = [$token[1], $token[2], $domain === null ? null : implode('', $domain)];
        }
        return $calls;
    }
}
