<?php
declare(strict_types=1);

namespace Sluice\Support\WordPress;

use RuntimeException;
use Sluice\Support\Overlap;

/**
 * "Two hosts" on one machine: PHP-FPM masters, each started under
 * `unshare --ipc --mount` with a /dev/shm of its own (so each has its own
 * shared memory, as separate hosts would), serving the test site through one
 * nginx (a port per pool) and sharing the test bed's MariaDB and Redis.
 * race() sends rounds of concurrent HTTP requests to every pool at once, each
 * taking one slot of one key from the backend the plugin chose
 * (two-hosts-probe.php), holding it and logging the interval; the max overlap
 * of those intervals is the most slots the pools granted at one instant.
 * Used by the two-hosts tests and bench/backends.php (no PHPUnit in here:
 * failures throw); with $ownSharedMemory false, a pool of this host with
 * php.ini lines of its own (the refused-process tests). Must run as root
 * (the pools run as www-data).
 */
final class FpmPools
{
    private string $dir;
    private string $probe;
    /** @var list<Runner> */
    private array $services = [];
    /** @var array<string, int> pool => nginx port */
    private array $ports = [];

    /**
     * @param list<string> $pools
     * @param list<string> $poolLines       more lines for every pool's config (e.g. php_admin_value[sluice.file_mode] = 0600)
     * @param bool         $ownSharedMemory each pool in IPC and mount namespaces of its own, with a /dev/shm of its own (two hosts);
     *                                      false: the pools share this host's shared memory (another pool of the same host)
     */
    public function __construct(
        private readonly int $workers = 3,
        array $pools = ['a', 'b'],
        private readonly array $poolLines = [],
        private readonly bool $ownSharedMemory = true,
    ) {
        if (posix_geteuid() !== 0) {
            throw new RuntimeException('FpmPools starts PHP-FPM masters in namespaces of their own: run it as root (tools/run-plugin-tests does)');
        }
        $this->dir = sys_get_temp_dir() . '/sluice-two-hosts-' . bin2hex(random_bytes(4));
        mkdir($this->dir . '/nginx', 0755, true);
        chmod($this->dir, 0755);
        $this->probe = getenv('SLUICE_WP_DIR') . '/sluice-two-hosts-probe.php';
        copy(__DIR__ . '/two-hosts-probe.php', $this->probe);
        try {
            foreach ($pools as $pool) {
                $this->startPool($pool);
                $this->ports[$pool] = self::freePort();
            }
            $this->startNginx();
        } catch (\Throwable $e) {
            $this->stop();
            throw $e;
        }
    }

    /** The base URL that reaches the test site through this pool. */
    public function url(string $pool): string
    {
        return 'http://127.0.0.1:' . ($this->ports[$pool] ?? throw new RuntimeException("no pool $pool"));
    }

    /** Stops nginx and the pools (by the processes it started) and removes its files. */
    public function stop(): void
    {
        foreach (array_reverse($this->services) as $service) {
            $service->kill(15);
        }
        $this->services = [];
        @unlink($this->probe);
        exec('rm -rf ' . escapeshellarg($this->dir));
    }

    /**
     * Rounds of concurrent requests, workers to each pool at once, each pool
     * sending first every other round (so each gets its chances at the slots).
     *
     * @return array{overlap: int, granted: int, by: array<string,int>, ipc: array<string,string>, backends: list<string>}
     */
    public function race(string $key, int $limit, int $rounds, int $holdMs): array
    {
        $intervals = [];
        $by = array_fill_keys(array_keys($this->ports), 0);
        $ipc = [];
        $backends = [];
        for ($round = 0; $round < $rounds; $round++) {
            $multi = curl_multi_init();
            $handles = [];
            foreach ($round % 2 === 1 ? array_reverse($this->ports, true) : $this->ports as $pool => $port) {
                for ($i = 0; $i < $this->workers; $i++) {
                    $h = curl_init(sprintf('http://127.0.0.1:%d/sluice-two-hosts-probe.php?%s', $port, http_build_query(['key' => $key, 'limit' => $limit, 'hold' => $holdMs])));
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
                if (!is_array($answer)) {
                    throw new RuntimeException("pool $pool answered: " . $body . ' ' . curl_error($h) . $this->logs());
                }
                $backends[] = (string) $answer['backend'];
                $ipc[(string) $pool] = (string) $answer['ipc'];
                if ($answer['granted']) {
                    $intervals[] = [$answer['from'], $answer['to']];
                    $by[$pool]++;
                }
                curl_multi_remove_handle($multi, $h);
                curl_close($h);
            }
            curl_multi_close($multi);
        }
        return ['overlap' => Overlap::max($intervals), 'granted' => count($intervals), 'by' => $by, 'ipc' => $ipc, 'backends' => array_values(array_unique($backends))];
    }

    /** What PHP logged in one pool's workers (its error_log). */
    public function phpLog(string $pool): string
    {
        return (string) @file_get_contents("{$this->dir}/php-{$pool}.log");
    }

    /** The pools' and nginx's logs, for a failure message. */
    public function logs(): string
    {
        $out = '';
        foreach ((array) glob($this->dir . '/*.log') as $log) {
            $out .= "\n--- $log\n" . substr((string) @file_get_contents((string) $log), -2000);
        }
        return $out;
    }

    /** A PHP-FPM master under unshare --ipc --mount, with a fresh /dev/shm (its own shared memory), serving the site. */
    private function startPool(string $pool): void
    {
        $conf = "{$this->dir}/fpm-{$pool}.conf";
        // The workers (www-data) write PHP's error log: a file of theirs in this root-owned folder.
        touch("{$this->dir}/php-{$pool}.log");
        chown("{$this->dir}/php-{$pool}.log", 'www-data');
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
            'pm.max_children = ' . $this->workers,
            'clear_env = no',
            'catch_workers_output = yes',
            "php_admin_value[error_log] = {$this->dir}/php-{$pool}.log",
            ...$this->poolLines,
            '',
        ]));
        $fpm = 'php-fpm' . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION;
        $master = sprintf('exec %s -F -y %s -c %s',
            escapeshellarg((string) (trim((string) shell_exec('command -v ' . $fpm . ' || echo /usr/sbin/' . $fpm)))),
            escapeshellarg($conf), escapeshellarg((string) getenv('PHPRC')));
        $this->services[] = $service = Runner::shell($this->ownSharedMemory
            ? 'exec unshare --ipc --mount --propagation private sh -c ' . escapeshellarg('mount -t tmpfs -o mode=1777 tmpfs /dev/shm && ' . $master)
            : $master);
        self::eventually(fn (): bool => file_exists("{$this->dir}/fpm-{$pool}.sock") || !$service->running(), 20.0, "PHP-FPM pool $pool");
        if (!$service->running()) {
            throw new RuntimeException("PHP-FPM pool $pool: " . $service->output() . $this->logs());
        }
    }

    private function startNginx(): void
    {
        $servers = '';
        foreach ($this->ports as $pool => $port) {
            $servers .= "server { listen 127.0.0.1:{$port}; root " . getenv('SLUICE_WP_DIR') . ";\n"
                . "  location ~ \\.php\$ { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;"
                . " fastcgi_read_timeout 60s; fastcgi_pass unix:{$this->dir}/fpm-{$pool}.sock; } }\n";
        }
        $n = "{$this->dir}/nginx";
        file_put_contents("$n/nginx.conf", "user www-data;\nworker_processes 2;\ndaemon off;\npid $n/nginx.pid;\nerror_log $n/error.log;\n"
            . "events { worker_connections 256; }\nhttp { access_log off; client_body_temp_path $n/tmp; proxy_temp_path $n/tmp;"
            . " fastcgi_temp_path $n/tmp; uwsgi_temp_path $n/tmp; scgi_temp_path $n/tmp;\n{$servers}}\n");
        $this->services[] = $nginx = Runner::shell('exec nginx -c ' . escapeshellarg("$n/nginx.conf") . ' -p ' . escapeshellarg($n));
        $ports = $this->ports;
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
        if (!$nginx->running()) {
            throw new RuntimeException('nginx: ' . $nginx->output());
        }
    }

    private static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        if ($socket === false) {
            throw new RuntimeException('no free port');
        }
        $port = (int) substr((string) strrchr((string) stream_socket_get_name($socket, false), ':'), 1);
        fclose($socket);
        return $port;
    }

    private static function eventually(callable $condition, float $timeout, string $what): void
    {
        $deadline = microtime(true) + $timeout;
        while (!$condition()) {
            if (microtime(true) > $deadline) {
                throw new RuntimeException("timed out after {$timeout}s waiting for $what");
            }
            usleep(10000);
        }
    }
}
