<?php
declare(strict_types=1);

namespace Sluice\WpTests\Lifecycle;

use Sluice\Support\WordPress\Site;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * Every PHP file the plugin ships stops at once when it is reached without
 * WordPress: its first statement (after declare, namespace and use) is
 * `defined('ABSPATH') || exit;` (uninstall.php: WP_UNINSTALL_PLUGIN). Read
 * with PHP's tokenizer, and tried for real: each file requested directly
 * through the test bed's nginx and PHP-FPM answers with an empty body (no
 * error, no path, nothing run).
 */
final class PluginFilesTest extends SluiceTestCase
{
    private const GUARD = "defined('ABSPATH') || exit;";
    private const UNINSTALL_GUARD = "defined('WP_UNINSTALL_PLUGIN') || exit;";

    public function testEveryPhpFileStartsWithTheGuard(): void
    {
        $files = self::pluginFiles();
        self::assertGreaterThan(50, count($files), 'the plugin\'s files were found');
        $wrong = [];
        foreach ($files as $relative => $path) {
            $expected = $relative === 'uninstall.php' ? self::UNINSTALL_GUARD : self::GUARD;
            $first = self::firstStatement((string) file_get_contents($path));
            if ($first !== $expected) {
                $wrong[] = "{$relative}: {$first}";
            }
        }
        self::assertSame([], $wrong, 'files whose first statement is not the guard');
    }

    public function testEveryPhpFileRequestedDirectlyAnswersWithNothing(): void
    {
        $spoken = [];
        foreach (array_keys(self::pluginFiles()) as $relative) {
            $curl = curl_init(Site::url() . '/wp-content/plugins/sluice/' . $relative);
            curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 10]);
            $body = (string) curl_exec($curl);
            $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
            curl_close($curl);
            if ($status !== 200 || $body !== '') {
                $spoken[] = "{$relative}: HTTP {$status}, " . substr($body, 0, 200);
            }
        }
        self::assertSame([], $spoken, 'files that said something when requested without WordPress');
    }

    /** @return array<string, string> path inside the plugin => file, for every .php file it ships */
    private static function pluginFiles(): array
    {
        $root = WP_PLUGIN_DIR . '/sluice';
        $files = [];
        $entries = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($root, \FilesystemIterator::SKIP_DOTS | \FilesystemIterator::FOLLOW_SYMLINKS));
        foreach ($entries as $entry) {
            if ($entry instanceof \SplFileInfo && $entry->getExtension() === 'php') {
                $files[substr($entry->getPathname(), strlen($root) + 1)] = $entry->getPathname();
            }
        }
        ksort($files);
        return $files;
    }

    /** The first statement of a PHP file, comments and whitespace folded, after any declare, namespace and use. */
    private static function firstStatement(string $code): string
    {
        $statement = '';
        foreach (token_get_all($code) as $token) {
            if (is_array($token) && in_array($token[0], [T_OPEN_TAG, T_COMMENT, T_DOC_COMMENT, T_WHITESPACE], true)) {
                $statement .= $statement !== '' && $token[0] === T_WHITESPACE ? ' ' : '';
                continue;
            }
            $statement .= is_array($token) ? $token[1] : $token;
            if ($token === ';') {
                $statement = trim((string) preg_replace('/\s+/', ' ', $statement));
                if (preg_match('/^(declare\s*\(|namespace\s|use\s)/', $statement) !== 1) {
                    return $statement;
                }
                $statement = '';
            }
        }
        return trim($statement);
    }
}
