# What every test directory (tests/, apps/*, tools/*, examples/) shares: GoogleTest, cpp-httplib
# for local test servers, and the Prometheus tools that check what we export and ship.
find_package(GTest REQUIRED)
include(GoogleTest)
alertllm_httplib()

# promtool (Debian package `prometheus`) and amtool (`prometheus-alertmanager`), installed by
# scripts/deps.sh. Without them the tests that need them fail; they are never skipped.
find_program(ALERTLLM_PROMTOOL promtool)
if(NOT ALERTLLM_PROMTOOL)
  set(ALERTLLM_PROMTOOL "promtool-not-found-run-scripts-deps.sh")
endif()
find_program(ALERTLLM_AMTOOL amtool)
if(NOT ALERTLLM_AMTOOL)
  set(ALERTLLM_AMTOOL "amtool-not-found-run-scripts-deps.sh")
endif()

# tests/support: the fakes and helpers every test shares, header-only (#include <support/...>).
add_library(alertllm_test_support INTERFACE)
target_include_directories(alertllm_test_support INTERFACE "${PROJECT_SOURCE_DIR}/tests")
target_link_libraries(alertllm_test_support INTERFACE alertllm::alertllm)
target_compile_definitions(alertllm_test_support INTERFACE
  ALERTLLM_TESTDATA_DIR="${PROJECT_SOURCE_DIR}/testdata")

# The shared fixtures (testdata/): the 18 Alertmanager captures, the CLI's inputs, TLS files.
set(ALERTLLM_TESTDATA "${PROJECT_SOURCE_DIR}/testdata")

# alertllm_add_promtool_metrics_test(<name> <target>): runs <target>, which prints a metrics
# exposition, and passes it through `promtool check metrics`.
function(alertllm_add_promtool_metrics_test name target)
  add_test(NAME ${name}
    COMMAND sh -c "set -e; out=$(\"$1\"); printf '%s\\n' \"$out\" | \"$2\" check metrics"
            sh $<TARGET_FILE:${target}> "${ALERTLLM_PROMTOOL}")
  set_tests_properties(${name} PROPERTIES LABELS integration
    ENVIRONMENT "no_proxy=127.0.0.1,localhost")
endfunction()
