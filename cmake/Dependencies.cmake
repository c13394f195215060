# Third-party dependencies, all from Debian 12 packages (see packaging/install-deps.sh).
find_package(Torch REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
# ATen's parallel_for is a header template that runs `#pragma omp parallel` in *our* translation
# units (Debian's LibTorch uses the OpenMP backend): without -fopenmp every at::parallel_for in the
# engine would silently run on one thread.
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SENTENCEPIECE REQUIRED IMPORTED_TARGET sentencepiece)
find_library(SENTENCEPIECE_TRAIN_LIB NAMES sentencepiece_train REQUIRED)
pkg_check_modules(HUNSPELL IMPORTED_TARGET hunspell)
find_path(HNSWLIB_INCLUDE_DIR hnswlib/hnswlib.h)

if(EMBEDLAB_BUILD_UI)
  find_package(Qt6 6.2 REQUIRED COMPONENTS Core Gui Widgets Charts OpenGL OpenGLWidgets Svg Test Concurrent)
  set(CMAKE_AUTOMOC ON)
  set(CMAKE_AUTORCC ON)
endif()

# Tokenizers: PCRE2 for the Unicode regex pre-tokenizers (GPT-4o, Llama 3, Qwen 3 patterns) and ICU
# for Unicode normalisation (NFC/NFKC/NFD) and character classes; ICU's case mapping also serves the
# Turkish casing in engine/io.
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
find_package(ICU REQUIRED COMPONENTS uc i18n)
