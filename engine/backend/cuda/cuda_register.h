// Makes the cuda backend available to the engine's backend factory (call once at start-up).
#pragma once

namespace rooflm {

void use_cuda_backend();

}  // namespace rooflm
