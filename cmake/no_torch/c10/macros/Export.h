// Stands in for LibTorch's own header on ui/'s include path only. Every ATen, c10 and torch header
// includes this one, so any torch include in ui/ stops the build here (ui/CMakeLists.txt).
#error "ui/ never includes LibTorch (ATen, c10, torch): ask the engine through app/bridge (docs/architecture.md)"
