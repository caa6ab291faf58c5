# Shared build helpers.

# One precompiled <torch/torch.h>, reused by every target that includes LibTorch, so that the
# 2-core build compiles the heavy header once.
add_library(scalelab_torch_pch STATIC ${CMAKE_CURRENT_LIST_DIR}/torch_pch.cpp)
target_link_libraries(scalelab_torch_pch PUBLIC ${TORCH_LIBRARIES})
target_include_directories(scalelab_torch_pch PUBLIC ${PROJECT_SOURCE_DIR})
target_precompile_headers(scalelab_torch_pch PRIVATE <torch/torch.h>)
if(SCALELAB_CUDA)
  target_compile_definitions(scalelab_torch_pch PUBLIC SCALELAB_CUDA=1)
endif()

# scalelab_use_torch(target): link LibTorch and reuse the shared precompiled header.
function(scalelab_use_torch target)
  target_link_libraries(${target} PUBLIC scalelab_torch_pch)
  target_precompile_headers(${target} REUSE_FROM scalelab_torch_pch)
endfunction()

# scalelab_library(name sources...): a component library rooted at the project root.
function(scalelab_library name)
  add_library(${name} STATIC ${ARGN})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE -Wall -Wextra)
endfunction()

# scalelab_test(LAYER NAME LIBS... [TORCH] [LABELS extra...] [FIXTURES fixture...]
#               [RESOURCE_LOCK lock]): tests/<LAYER>/<NAME>.cpp as one GoogleTest executable under
# CTest. Each of its tests carries the labels LAYER (unit, e2e or cluster) and the extra ones,
# requires the fixtures, and runs with OMP_NUM_THREADS=1: ctest -j N runs N tests at once, one core
# each (LibTorch's default of every core makes concurrent tests fight over them, several times
# slower); a test that wants threads sets them itself.
include(GoogleTest)
function(scalelab_test layer name)
  cmake_parse_arguments(PARSE_ARGV 2 arg "TORCH" "RESOURCE_LOCK" "LABELS;FIXTURES")
  add_executable(${name} ${PROJECT_SOURCE_DIR}/tests/${layer}/${name}.cpp)
  target_link_libraries(${name} PRIVATE ${arg_UNPARSED_ARGUMENTS} GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  if(arg_TORCH)
    scalelab_use_torch(${name})
  endif()
  target_compile_definitions(${name} PRIVATE
    SCALELAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}" SCALELAB_BINARY_DIR="${PROJECT_BINARY_DIR}"
    SCALELAB_PYTHON="${SCALELAB_PYTHON}")
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR} PROPERTIES ENVIRONMENT OMP_NUM_THREADS=1)
  # Lists (labels, fixtures) cannot pass through gtest_discover_tests' PROPERTIES: they are set on
  # the discovered tests (${name}_TESTS) by a file ctest reads after the discovery.
  set(props "LABELS \"${layer};${arg_LABELS}\"")
  if(arg_FIXTURES)
    string(APPEND props " FIXTURES_REQUIRED \"${arg_FIXTURES}\"")
  endif()
  if(arg_RESOURCE_LOCK)
    string(APPEND props " RESOURCE_LOCK ${arg_RESOURCE_LOCK}")
  endif()
  set(file ${CMAKE_CURRENT_BINARY_DIR}/${name}_properties.cmake)
  file(WRITE ${file}
    "if(${name}_TESTS)\n  set_tests_properties(\${${name}_TESTS} PROPERTIES ${props})\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${file})
endfunction()
