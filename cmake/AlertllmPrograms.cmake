# alertllm_add_program(<target> <output-name> <source>...): one of the programs users deploy
# (apps/) or test with (tools/). Every program lands in <build>/bin under its installed name,
# gets the project's warnings, and is installed into bin/ when ALERTLLM_INSTALL is on.
function(alertllm_add_program target output_name)
  add_executable(${target} ${ARGN})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${output_name}
    RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bin")
  alertllm_set_warnings(${target})
  if(ALERTLLM_INSTALL)
    install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endfunction()

# alertllm_httplib(): the imported target PkgConfig::ALERTLLM_HTTPLIB for cpp-httplib, made once
# and GLOBAL so every directory can link it. Debian's cpp-httplib is the split build: httplib.h
# declares, libcpp-httplib.so defines, and the class layout depends on the CPPHTTPLIB_*_SUPPORT
# macros its pkg-config file sets, so both come from pkg-config rather than the header alone.
macro(alertllm_httplib)
  if(NOT TARGET PkgConfig::ALERTLLM_HTTPLIB)
    find_package(PkgConfig REQUIRED)
    pkg_check_modules(ALERTLLM_HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)
  endif()
endmacro()
