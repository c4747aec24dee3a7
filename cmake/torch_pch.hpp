// Precompiled header of the project library: <torch/torch.h> alone costs ~15 s per translation unit.
#pragma once
#include <torch/torch.h>
