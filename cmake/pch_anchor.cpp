// The translation unit of the targets that own the precompiled <ATen/ATen.h> (cmake/Precompiled.cmake).
