<?php
// Data Machine is optional at run time: the plugin calls these two only behind
// function_exists()/class_exists(). This file tells PHPStan their signatures
// (as Data Machine declares them); it is never loaded by PHP.

namespace {
    /** @return array<string, mixed> the job's engine data */
    function datamachine_get_engine_data(int $job_id): array {}
}

namespace DataMachine\Core {
    class PluginSettings
    {
        /**
         * @param array<int,string> $modes
         * @return array{provider: string, model: string}
         */
        public static function resolveModelForAgentModes(?int $agent_id, array $modes, ?string $fallback_mode = null): array {}
    }
}
