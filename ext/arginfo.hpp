// The generated arginfo (sluice_arginfo.h, from sluice.stub.php) for every
// file that registers a class or a function table: each class registers
// itself from its own file. The generated register_class_* functions are
// static, so a file that uses only some of them must not warn about the rest.
#pragma once

#include "sluice_ext.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "sluice_arginfo.h"
#pragma GCC diagnostic pop
