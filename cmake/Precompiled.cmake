# One precompiled <ATen/ATen.h> for every target that compiles against LibTorch.
#
# ATen's headers are most of the cost of a translation unit here: on one core, a file of the engine
# takes ~27 s at -O2 -g, ~21 s of it for the header alone, and ~9 s with it precompiled. Precompiling it
# once per target would cost ~30 s and ~330 MB per target, so two owner targets precompile it and every
# other target reuses theirs (REUSE_FROM). A precompiled header is valid only for the flags it was made
# with, and position independence is one of them: GCC ignores (-Winvalid-pch says so) and clang
# rejects a header made with -fPIC in a -fPIE compile. Hence two owners:
#   embedlab_pch_pic   -fPIC: the engine's static libraries, the app core, and the Qt executables
#                      (Qt 6 compiles its users with -fPIC, after CMake's -fPIE)
#   embedlab_pch_pie   -fPIE: the executables without Qt (embedlab-cli, the engine tests, benchmarks)
# Each owner carries only what every user also has (LibTorch's and OpenMP's usage requirements and the
# global flags): a macro that the header was made with must be defined for its users too.
# EMBEDLAB_PCH=OFF builds without it (then each file must include what it uses; CI builds with it).
option(EMBEDLAB_PCH "Precompile <ATen/ATen.h> once and reuse it in every torch target" ON)

function(_embedlab_pch_owner name pic_flag)
  add_library(${name} OBJECT ${CMAKE_SOURCE_DIR}/cmake/pch_anchor.cpp)
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE OFF
                        AUTOMOC OFF AUTORCC OFF AUTOUIC OFF)
  target_compile_options(${name} PRIVATE ${pic_flag} ${EMBEDLAB_WARNINGS})
  target_include_directories(${name} SYSTEM PRIVATE ${TORCH_INCLUDE_DIRS})
  target_link_libraries(${name} PRIVATE ${TORCH_LIBRARIES} OpenMP::OpenMP_CXX)
  target_precompile_headers(${name} PRIVATE <ATen/ATen.h>)
endfunction()

if(EMBEDLAB_PCH)
  _embedlab_pch_owner(embedlab_pch_pic -fPIC)
  _embedlab_pch_owner(embedlab_pch_pie -fPIE)
endif()

# embedlab_torch_pch(<target> PIC|PIE): <target> reuses the owner that matches how it is compiled.
function(embedlab_torch_pch target kind)
  if(NOT EMBEDLAB_PCH)
    return()
  endif()
  string(TOLOWER ${kind} k)
  target_precompile_headers(${target} REUSE_FROM embedlab_pch_${k})
endfunction()
