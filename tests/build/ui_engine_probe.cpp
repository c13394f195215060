// Must NOT compile: a ui/ source that includes an engine header built on LibTorch.
#include "engine/models/model.h"
int probe() { return 0; }
