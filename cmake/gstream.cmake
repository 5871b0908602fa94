# Helpers that give every target of ours the same warnings (as errors) and sanitizers.

function(gstream_apply_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wno-missing-field-initializers -Werror)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  if(GSTREAM_SANITIZE)
    string(REPLACE ";" "," _san "${GSTREAM_SANITIZE}")
    target_compile_options(${target} PRIVATE -fsanitize=${_san} -fno-omit-frame-pointer
                           -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${_san})
    if("thread" IN_LIST GSTREAM_SANITIZE)
      # GCC 12 warns that TSan does not model std::atomic_thread_fence, which Asio's handler
      # invocation uses (std_fenced_block); the handlers run on one io thread here.
      target_compile_options(${target} PRIVATE -Wno-tsan)
    endif()
  endif()
endfunction()

# gstream_add_library(name dir...): a static library of every .cpp below the given folders.
function(gstream_add_library name)
  set(_sources "")
  foreach(dir IN LISTS ARGN)
    file(GLOB_RECURSE _found CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*.cpp)
    list(APPEND _sources ${_found})
  endforeach()
  add_library(${name} STATIC ${_sources})
  gstream_apply_options(${name})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  if(GSTREAM_SANITIZE)
    string(REPLACE ";" "," _san "${GSTREAM_SANITIZE}")
    target_link_options(${name} INTERFACE -fsanitize=${_san})
  endif()
endfunction()
