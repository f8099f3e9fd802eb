# alertllm_set_warnings(<target>): the project's warning set, per target (never global).
function(alertllm_set_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4)
    if(ALERTLLM_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  else()
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
      -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wnull-dereference)
    if(ALERTLLM_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
