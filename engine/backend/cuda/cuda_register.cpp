// use_cuda_backend(): registers CudaBackend with the backend factory.
#include "engine/backend/cuda/cuda_register.h"

#include "engine/backend/backend_factory.h"
#include "engine/backend/cuda/cuda_backend.h"
#include "kernels/common/device_info.h"

namespace rooflm {

void use_cuda_backend() {
  register_cuda_backend({&cuda_device_present, [](const ModelConfig& config, const Scenario& scenario) {
                           return std::unique_ptr<Backend>(std::make_unique<CudaBackend>(config, scenario));
                         }});
}

}  // namespace rooflm
