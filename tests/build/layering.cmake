# The layered build, proved: builds the probe objects with ui/'s own settings and checks that LibTorch
# and torch-based engine headers fail to compile there while the bridge and the base compile.
# Run as: cmake -DBUILD_DIR=... -P layering.cmake
foreach(probe ui_torch_probe ui_engine_probe ui_base_probe)
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${probe}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(probe STREQUAL "ui_base_probe")
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${probe} should compile (the bridge and the base are torch-free):\n${out}${err}")
    endif()
  else()
    if(rc EQUAL 0)
      message(FATAL_ERROR "${probe} compiled: ui/ can reach LibTorch")
    endif()
    if(NOT "${out}${err}" MATCHES "ui/ never includes LibTorch")
      message(FATAL_ERROR "${probe} failed, but not at the torch guard:\n${out}${err}")
    endif()
  endif()
  message(STATUS "${probe}: as expected")
endforeach()
