<?php
declare(strict_types=1);

namespace Sluice\Support;

/** PHP code for `php -r`, with the values it needs passed in as variables, never spliced into the code. */
final class PhpCode
{
    /**
     * $code preceded by one assignment per entry of $vars ($vars['key'] => $key, var_export()ed).
     *
     * @param array<string,mixed> $vars
     */
    public static function withVariables(string $code, array $vars): string
    {
        $prelude = '';
        foreach ($vars as $name => $value) {
            if (!preg_match('/^[a-zA-Z_][a-zA-Z0-9_]*$/', $name)) {
                throw new \InvalidArgumentException("bad variable name $name");
            }
            $prelude .= '$' . $name . ' = ' . var_export($value, true) . ";\n";
        }
        return $prelude . $code;
    }
}
