// dlopen of NCCL and the in-place fp16 all-reduce over local GPUs (see nccl_all_reduce.h).
#include "kernels/comm/nccl_all_reduce.h"

#include <dlfcn.h>

#include <cstdlib>
#include <stdexcept>
#include <type_traits>

namespace rooflm {
namespace {

// nccl.h: ncclResult_t, ncclDataType_t ncclFloat16, ncclRedOp_t ncclSum; ncclComm_t is opaque.
using Result = int;
constexpr Result kSuccess = 0;
constexpr int kFloat16 = 6, kSum = 0;

}  // namespace

struct NcclComms::Library {
  void* handle = nullptr;
  Result (*get_version)(int*) = nullptr;                                   // ncclGetVersion
  const char* (*error_string)(Result) = nullptr;                           // ncclGetErrorString
  Result (*comm_init_all)(void**, int, const int*) = nullptr;              // ncclCommInitAll
  Result (*comm_destroy)(void*) = nullptr;                                 // ncclCommDestroy
  Result (*group_start)() = nullptr;                                       // ncclGroupStart
  Result (*group_end)() = nullptr;                                         // ncclGroupEnd
  Result (*all_reduce)(const void*, void*, size_t, int, int, void*, cudaStream_t) = nullptr;  // ncclAllReduce

  std::string error(const char* call, Result r) const {
    const char* text = error_string ? error_string(r) : nullptr;
    return std::string(call) + " returned " + std::to_string(r) + (text ? " (" + std::string(text) + ")" : "");
  }
  ~Library() {
    if (handle) dlclose(handle);
  }
};

std::unique_ptr<NcclComms> NcclComms::create(int ranks, std::string* why_not) {
  const char* configured = std::getenv("ROOFLM_NCCL_LIBRARY");
  const std::string path = configured && *configured ? configured : "libnccl.so.2";
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* e = dlerror();
    *why_not = "dlopen " + path + " failed: " + std::string(e ? e : "unknown error") +
               " (set ROOFLM_NCCL_LIBRARY or LD_LIBRARY_PATH to NCCL's lib folder)";
    return nullptr;
  }
  auto lib = std::make_shared<Library>();
  lib->handle = handle;
  auto sym = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, name));
    return fn != nullptr;
  };
  if (!(sym(lib->get_version, "ncclGetVersion") && sym(lib->error_string, "ncclGetErrorString") &&
        sym(lib->comm_init_all, "ncclCommInitAll") && sym(lib->comm_destroy, "ncclCommDestroy") &&
        sym(lib->group_start, "ncclGroupStart") && sym(lib->group_end, "ncclGroupEnd") &&
        sym(lib->all_reduce, "ncclAllReduce"))) {
    *why_not = path + " lacks an NCCL 2 entry point (ncclCommInitAll, ncclAllReduce, ...)";
    return nullptr;
  }
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices < ranks) {
    *why_not = std::to_string(ranks) + " ranks need " + std::to_string(ranks) + " GPUs, this machine has " +
               std::to_string(devices);
    return nullptr;
  }
  std::unique_ptr<NcclComms> comms(new NcclComms());
  comms->lib_ = lib;
  lib->get_version(&comms->version_);
  comms->comms_.assign(size_t(ranks), nullptr);
  std::vector<int> device_list(static_cast<size_t>(ranks));
  for (int r = 0; r < ranks; ++r) device_list[size_t(r)] = r;
  if (const Result r = lib->comm_init_all(comms->comms_.data(), ranks, device_list.data()); r != kSuccess) {
    *why_not = lib->error("ncclCommInitAll", r);
    comms->comms_.clear();
    return nullptr;
  }
  return comms;
}

NcclComms::~NcclComms() {
  for (void* comm : comms_)
    if (comm) lib_->comm_destroy(comm);
}

void NcclComms::all_reduce_sum_f16(const std::vector<__half*>& buffers, size_t count,
                                   const std::vector<cudaStream_t>& streams) {
  if (buffers.size() != comms_.size() || streams.size() != comms_.size())
    throw std::runtime_error("all_reduce_sum_f16: one buffer and one stream per rank (" + std::to_string(comms_.size()) +
                             ")");
  auto check = [&](const char* call, Result r) {
    if (r != kSuccess) throw std::runtime_error(lib_->error(call, r));
  };
  check("ncclGroupStart", lib_->group_start());
  for (size_t r = 0; r < comms_.size(); ++r)
    check("ncclAllReduce", lib_->all_reduce(buffers[r], buffers[r], count, kFloat16, kSum, comms_[r], streams[r]));
  check("ncclGroupEnd", lib_->group_end());
}

}  // namespace rooflm
