/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stddef.h>

#include "names.h"

const char *const detector_type_names[_DETECTOR_TYPE_MAX + 1] = {
        [DETECTOR_PRESSURE_ABOVE]         = "pressure_above",
        [DETECTOR_PRESSURE_RISING_BEYOND] = "pressure_rising_beyond",
        [DETECTOR_MEMORY_ABOVE]           = "memory_above",
        [DETECTOR_MEMORY_RECLAIM]         = "memory_reclaim",
        [DETECTOR_SWAP_FREE_BELOW]        = "swap_free_below",
        [DETECTOR_MEM_AVAILABLE_BELOW]    = "mem_available_below",
        [DETECTOR_EXISTS]                 = "exists",
};

const char *const ranker_names[_RANKER_TYPE_MAX + 1] = {
        [RANKER_SIZE_OR_GROWTH] = "size_or_growth",
        [RANKER_SWAP]           = "swap",
        [RANKER_PRESSURE]       = "pressure",
        [RANKER_PGSCAN]         = "pgscan",
};

const char *const resource_names[3] = { [PSI_RESOURCE_MEMORY] = "memory", [PSI_RESOURCE_IO] = "io", NULL };
const char *const kind_names[3] = { [PSI_KIND_SOME] = "some", [PSI_KIND_FULL] = "full", NULL };
const char *const window_names[4] = {
        [PSI_WINDOW_AVG10] = "avg10", [PSI_WINDOW_AVG60] = "avg60", [PSI_WINDOW_AVG300] = "avg300", NULL
};
const char *const granularity_names[3] = { [GRANULARITY_CGROUP] = "cgroup", [GRANULARITY_PROCESS] = "process", NULL };
const char *const action_type_names[2] = { "kill", NULL };

const char *const unit_method_names[_UNIT_METHOD_MAX + 1] = {
        [UNIT_METHOD_KILL] = "kill", [UNIT_METHOD_STOP] = "stop", [UNIT_METHOD_RESTART] = "restart",
};

const char *unit_method_to_string(UnitMethod m) {
        if (m < 0 || m >= _UNIT_METHOD_MAX)
                return NULL;
        return unit_method_names[m];
}
