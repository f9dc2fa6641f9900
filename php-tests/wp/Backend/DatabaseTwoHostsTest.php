<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\WpTests\Support\Runner;

use Sluice\Tests\Support\SluiceTestCase;

/**
 * "Two hosts" on one machine: two PHP-FPM masters, each started under
 * `unshare --ipc --mount` with a /dev/shm of its own (so each has its own
 * shared memory, as two hosts would), serving the same WordPress through
 * one nginx (a port per pool) and sharing the test bed's MariaDB. Concurrent
 * HTTP requests to both take one slot of one key, limit 1, hold it and log
 * the interval. With the native backend each pool has its own segment, so
 * the key gets one slot per pool: the extension cannot give the two one
 * limit. With the database backend the max overlap across both is 1.
 */
final class DatabaseTwoHostsTest extends SluiceTestCase
{
    private const WORKERS = 3;
    private const ROUNDS = 6;
    private const HOLD_MS = 150;

    private string $dir = '';
    /** @var list<Runner> */
    private array $services = [];
    private string $probe = '';
    private mixed $settings = null;

    protected function setUp(): void
    {
        if (posix_geteuid() !== 0) {
            self::fail('this test starts PHP-FPM masters in namespaces of their own: run it as root (tools/run-plugin-tests does)');
        }
        $this->settings = get_option('sluice_settings', []);
        $this->dir = sys_get_temp_dir() . '/sluice-two-hosts-' . bin2hex(random_bytes(4));
        mkdir($this->dir . '/nginx', 0755, true);
        chmod($this->dir, 0755);
        $this->probe = getenv('SLUICE_WP_DIR') . '/sluice-two-hosts-probe.php';
        copy(__DIR__ . '/DatabaseTwoHostsProbe.php', $this->probe);
    }

    protected function tearDown(): void
    {
        foreach (array_reverse($this->services) as $service) {
            $service->kill(15);
        }
        $this->services = [];
        @unlink($this->probe);
        update_option('sluice_settings', $this->settings);
        exec('rm -rf ' . escapeshellarg($this->dir));
    }

    public function testTwoPoolsInSeparateIpcNamespacesHoldOneLimitOnlyThroughTheDatabase(): void
    {
        $ports = [];
        foreach (['a', 'b'] as $pool) {
            $this->startPool($pool);
            $ports[$pool] = self::freePort();
        }
        $this->startNginx($ports);

        $native = $this->race('native', $ports);
        $database = $this->race('database', $ports);
        fwrite(STDERR, sprintf(
            "two FPM pools in separate IPC namespaces (%s / %s), key limit 1, %d rounds x %d requests per pool: native max overlap %d (%d granted), database max overlap %d (%d granted: %d by pool a, %d by pool b)\n",
            $database['ipc']['a'], $database['ipc']['b'], self::ROUNDS, self::WORKERS,
            $native['overlap'], $native['granted'], $database['overlap'], $database['granted'], $database['by']['a'], $database['by']['b'],
        ));
        self::assertNotSame($database['ipc']['a'], $database['ipc']['b'], 'the pools run in separate IPC namespaces');
        self::assertNotSame($database['ipc']['a'], (string) readlink('/proc/self/ns/ipc'));
        self::assertSame(2, $native['overlap'], 'the extension gives each pool its own slot: separate shared memory, separate limits');
        self::assertSame(1, $database['overlap'], 'the database backend holds one limit for both');
        self::assertGreaterThan(0, $database['by']['a']);
        self::assertGreaterThan(0, $database['by']['b']);
    }

    /**
     * One backend for both pools (the setting), then rounds of concurrent
     * requests, WORKERS to each pool at once.
     *
     * @param array<string,int> $ports
     * @return array{overlap: int, granted: int, by: array<string,int>, ipc: array<string,string>}
     */
    private function race(string $backend, array $ports): array
    {
        update_option('sluice_settings', array_merge(is_array($this->settings) ? $this->settings : [], ['backend' => $backend]));
        $key = self::key('two-hosts-' . $backend);
        $intervals = [];
        $by = ['a' => 0, 'b' => 0];
        $ipc = [];
        for ($round = 0; $round < self::ROUNDS; $round++) {
            $multi = curl_multi_init();
            $handles = [];
            // Each pool sends first every other round, so both get their chances at the one slot.
            foreach ($round % 2 === 1 ? array_reverse($ports, true) : $ports as $pool => $port) {
                for ($i = 0; $i < self::WORKERS; $i++) {
                    $h = curl_init(sprintf('http://127.0.0.1:%d/sluice-two-hosts-probe.php?%s', $port, http_build_query(['key' => $key, 'limit' => 1, 'hold' => self::HOLD_MS])));
                    curl_setopt_array($h, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 60]);
                    curl_multi_add_handle($multi, $h);
                    $handles[] = [$pool, $h];
                }
            }
            do {
                $status = curl_multi_exec($multi, $running);
                if ($running) {
                    curl_multi_select($multi, 0.1);
                }
            } while ($running && $status === CURLM_OK);
            foreach ($handles as [$pool, $h]) {
                $body = (string) curl_multi_getcontent($h);
                $answer = json_decode($body, true);
                self::assertIsArray($answer, "pool $pool answered: " . $body . ' ' . curl_error($h) . $this->logs());
                self::assertSame($backend, $answer['backend'], "pool $pool chose its backend from the setting");
                $ipc[$pool] = (string) $answer['ipc'];
                if ($answer['granted']) {
                    $intervals[] = [$answer['from'], $answer['to']];
                    $by[$pool]++;
                }
                curl_multi_remove_handle($multi, $h);
                curl_close($h);
            }
            curl_multi_close($multi);
        }
        return ['overlap' => self::maxOverlap($intervals), 'granted' => count($intervals), 'by' => $by, 'ipc' => $ipc];
    }

    /** A PHP-FPM master under unshare --ipc --mount, with a fresh /dev/shm (its own shared memory), serving the site. */
    private function startPool(string $pool): void
    {
        $conf = "{$this->dir}/fpm-{$pool}.conf";
        file_put_contents($conf, implode("\n", [
            '[global]',
            "error_log = {$this->dir}/fpm-{$pool}.log",
            'daemonize = no',
            "[two-hosts-{$pool}]",
            'user = www-data',
            'group = www-data',
            "listen = {$this->dir}/fpm-{$pool}.sock",
            'listen.owner = www-data',
            'listen.group = www-data',
            'listen.mode = 0660',
            'pm = static',
            'pm.max_children = ' . self::WORKERS,
            'clear_env = no',
            'catch_workers_output = yes',
            "php_admin_value[error_log] = {$this->dir}/php-{$pool}.log",
            '',
        ]));
        $fpm = 'php-fpm' . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION;
        $this->services[] = $service = Runner::shell(sprintf(
            'exec unshare --ipc --mount --propagation private sh -c %s',
            escapeshellarg(sprintf('mount -t tmpfs -o mode=1777 tmpfs /dev/shm && exec %s -F -y %s -c %s',
                escapeshellarg((string) (trim((string) shell_exec('command -v ' . $fpm . ' || echo /usr/sbin/' . $fpm)))),
                escapeshellarg($conf), escapeshellarg((string) getenv('PHPRC')))),
        ));
        self::eventually(fn (): bool => file_exists("{$this->dir}/fpm-{$pool}.sock") || !$service->running(), 20.0, "PHP-FPM pool $pool");
        self::assertTrue($service->running(), "PHP-FPM pool $pool: " . $service->output() . $this->logs());
    }

    /** @param array<string,int> $ports pool => port */
    private function startNginx(array $ports): void
    {
        $servers = '';
        foreach ($ports as $pool => $port) {
            $servers .= "server { listen 127.0.0.1:{$port}; root " . getenv('SLUICE_WP_DIR') . ";\n"
                . "  location ~ \\.php\$ { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;"
                . " fastcgi_read_timeout 60s; fastcgi_pass unix:{$this->dir}/fpm-{$pool}.sock; } }\n";
        }
        $n = "{$this->dir}/nginx";
        file_put_contents("$n/nginx.conf", "user www-data;\nworker_processes 2;\ndaemon off;\npid $n/nginx.pid;\nerror_log $n/error.log;\n"
            . "events { worker_connections 256; }\nhttp { access_log off; client_body_temp_path $n/tmp; proxy_temp_path $n/tmp;"
            . " fastcgi_temp_path $n/tmp; uwsgi_temp_path $n/tmp; scgi_temp_path $n/tmp;\n{$servers}}\n");
        $this->services[] = $nginx = Runner::shell('exec nginx -c ' . escapeshellarg("$n/nginx.conf") . ' -p ' . escapeshellarg($n));
        self::eventually(static function () use ($ports): bool {
            foreach ($ports as $port) {
                $socket = @fsockopen('127.0.0.1', $port, $errno, $error, 0.2);
                if ($socket === false) {
                    return false;
                }
                fclose($socket);
            }
            return true;
        }, 20.0, 'nginx');
        self::assertTrue($nginx->running(), 'nginx: ' . $nginx->output());
    }

    private static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        self::assertNotFalse($socket);
        $port = (int) substr((string) strrchr((string) stream_socket_get_name($socket, false), ':'), 1);
        fclose($socket);
        return $port;
    }

    private function logs(): string
    {
        $out = '';
        foreach ((array) glob($this->dir . '/*.log') as $log) {
            $out .= "\n--- $log\n" . substr((string) @file_get_contents((string) $log), -2000);
        }
        return $out;
    }
}
