// Must NOT compile: a ui/ source that includes LibTorch (tests/build/layering.cmake).
#include <ATen/ATen.h>
int probe() { return static_cast<int>(at::zeros({2}).numel()); }
