<?php
declare(strict_types=1);

namespace Sluice\WpTests\Lifecycle;

use RuntimeException;
use Sluice\Support\Process;
use Sluice\Support\WordPress\Runner;
use Sluice\WpTests\Cli\WpCli;
use wpdb;

/**
 * A second WordPress (tools/wordpress, Debian's 6.1.9, its own folder and
 * database on the stack's MariaDB) turned into a subdirectory network the
 * way wp-admin/network.php does it (bin/make-network.php): another install
 * on this host, sharing the extension's segment (same php.ini) and the
 * test bed's Redis with the main test site. Its processes are PHP with the
 * network's wp-load.php (php()) and the real `wp --url=...` (wp()).
 */
final class TestNetwork
{
    public readonly wpdb $db;

    private function __construct(
        /** The network's WordPress root. */
        public readonly string $dir,
        public readonly string $database,
        public readonly string $domain,
    ) {
        $this->db = new wpdb(DB_USER, DB_PASSWORD, $database, DB_HOST);
    }

    /** Builds the network ($name: its folder's and database's suffix); only the fixture is activated. */
    public static function up(string $name, string $domain): self
    {
        $root = dirname(__DIR__, 3);
        $dir = rtrim((string) getenv('SLUICE_WP_DIR'), '/') . '-' . $name;
        $database = DB_NAME . '_' . $name;
        self::shell(['rm', '-rf', $dir]);
        global $wpdb;
        $wpdb->query('DROP DATABASE IF EXISTS `' . $database . '`');
        if ($wpdb->query('CREATE DATABASE `' . $database . '` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci') === false) {
            throw new RuntimeException("could not create the database {$database}: {$wpdb->last_error}");
        }
        [, $port] = explode(':', DB_HOST) + [1 => '3306'];
        $env = [
            'SLUICE_WP_DIR=' . $dir,
            'SLUICE_DB_NAME=' . $database,
            'SLUICE_DB_PORT=' . $port,
            'SLUICE_DB_USER=' . DB_USER,
            'SLUICE_DB_PASSWORD=' . DB_PASSWORD,
            // Only the fixture is activated by the install; Sluice is linked below, activated network-wide by the tests.
            'SLUICE_WP_PLUGINS=' . $root . '/php-tests/wp/fixtures/datamachine-fixture',
        ];
        self::shell(array_merge(['env'], $env, [$root . '/tools/wordpress', 'prepare']));
        symlink((string) realpath(WP_PLUGIN_DIR . '/sluice'), $dir . '/wp-content/plugins/sluice');  // the main site's (tools/wordpress may load a copy)
        self::shell(array_merge(['env'], $env, [$root . '/tools/wordpress', 'install']));
        self::shell([PHP_BINARY, __DIR__ . '/bin/make-network.php', $dir, $domain]);
        return new self($dir, $database, $domain);
    }

    public function down(): void
    {
        global $wpdb;
        $wpdb->query('DROP DATABASE IF EXISTS `' . $this->database . '`');
        self::shell(['rm', '-rf', $this->dir]);
    }

    /** The URL of a blog of the network by its path ("" or "/" for the main site, "two" for /two/). */
    public function url(string $path): string
    {
        $path = trim($path, '/');
        return 'http://' . $this->domain . '/' . ($path === '' ? '' : $path . '/');
    }

    /**
     * Runs PHP in a process of the network site (blog at $path) and returns
     * what it printed after "RESULT:", JSON-decoded.
     *
     * @param array<string, mixed> $vars
     */
    public function php(string $code, array $vars = [], string $path = '/'): mixed
    {
        $runner = $this->start($code, $vars, $path);
        $exit = $runner->wait();
        $output = $runner->output();
        if ($exit !== 0) {
            throw new RuntimeException("the network site's process exited with {$exit}:\n{$output}");
        }
        foreach (explode("\n", $output) as $line) {
            if (str_starts_with($line, 'RESULT:')) {
                return json_decode(substr($line, strlen('RESULT:')), true);
            }
        }
        throw new RuntimeException("no RESULT line from the network site's process:\n$output");
    }

    /**
     * Starts PHP in a process of the network site (blog at $path) without
     * waiting for it.
     *
     * @param array<string, mixed> $vars
     */
    public function start(string $code, array $vars = [], string $path = '/'): Runner
    {
        $path = trim($path, '/') === '' ? '/' : '/' . trim($path, '/') . '/';
        $prelude = '$_SERVER["HTTP_HOST"] = $domain; $_SERVER["SERVER_NAME"] = $domain; $_SERVER["REQUEST_URI"] = $path;
            require $wpDir . "/wp-load.php"; require_once ABSPATH . "wp-admin/includes/plugin.php"; add_filter("pre_wp_mail", "__return_false");';
        return Runner::php($prelude . $code, $vars + ['wpDir' => $this->dir, 'domain' => $this->domain, 'path' => $path]);
    }

    /**
     * The real `wp` on a blog of the network.
     *
     * @param list<string> $args
     */
    public function wp(string $path, array $args): WpCli
    {
        return WpCli::run(array_merge(['--url=' . $this->url($path)], $args), null, $this->dir);
    }

    /** @return list<string> tables of the network's database matching a LIKE pattern, sorted */
    public function tables(string $like): array
    {
        $tables = $this->db->get_col($this->db->prepare('SHOW TABLES LIKE %s', $like));
        sort($tables);
        return array_values($tables);
    }

    public function option(string $table, string $name): ?string
    {
        $value = $this->db->get_var($this->db->prepare("SELECT option_value FROM {$table} WHERE option_name = %s", $name));
        return $value === null ? null : (string) $value;
    }

    /** @param list<string> $command */
    private static function shell(array $command): void
    {
        $result = Process::execute($command, 300.0);
        if ($result->exitCode !== 0) {
            throw new RuntimeException(implode(' ', $command) . ': ' . $result->describe());
        }
    }
}
