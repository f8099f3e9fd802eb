// SPDX-License-Identifier: Apache-2.0
#include "alertllm/alert.hpp"
#include <gtest/gtest.h>
