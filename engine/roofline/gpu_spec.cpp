// Loading and looking up the GPU spec files of engine/roofline/gpus/.
#include "engine/roofline/gpu_spec.h"
#include "common/edit_distance.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "common/error.h"
#include "common/json_text.h"
#include "common/source_dir.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

// Reads one spec file; every error names the file and the field.
class SpecFileReader {
 public:
  SpecFileReader(fs::path file, nlohmann::json root) : file_(std::move(file)), root_(std::move(root)) {}

  [[noreturn]] void fail(const std::string& what) const { throw InputError(file_.string() + ": " + what); }

  const nlohmann::json& field(const char* key) const {
    if (!root_.contains(key)) fail("missing required field \"" + std::string(key) + "\"");
    return root_.at(key);
  }

  std::string text(const char* key) const {
    const nlohmann::json& value = field(key);
    if (!value.is_string() || value.get<std::string>().empty())
      fail("field \"" + std::string(key) + "\" must be a non-empty string, got " + value.dump());
    return value.get<std::string>();
  }

  double positive_number(const char* key) const {
    const nlohmann::json& value = field(key);
    if (!value.is_number()) fail("field \"" + std::string(key) + "\" must be a number, got " + value.dump());
    const double number = value.get<double>();
    if (!(number > 0)) fail("field \"" + std::string(key) + "\" = " + value.dump() + " must be > 0");
    return number;
  }

  int64_t positive_integer(const char* key) const {
    const nlohmann::json& value = field(key);
    if (!value.is_number_integer())
      fail("field \"" + std::string(key) + "\" must be an integer, got " + value.dump());
    const int64_t integer = value.get<int64_t>();
    if (integer <= 0) fail("field \"" + std::string(key) + "\" = " + std::to_string(integer) + " must be > 0");
    return integer;
  }

  std::vector<std::string> text_list(const char* key) const {
    const nlohmann::json& value = field(key);
    if (!value.is_array() || value.empty())
      fail("field \"" + std::string(key) + "\" must be a non-empty array of strings, got " + value.dump());
    std::vector<std::string> list;
    for (size_t i = 0; i < value.size(); ++i) {
      if (!value[i].is_string())
        fail("field \"" + std::string(key) + "[" + std::to_string(i) + "]\" must be a string, got " +
             value[i].dump());
      list.push_back(value[i].get<std::string>());
    }
    return list;
  }

 private:
  fs::path file_;
  nlohmann::json root_;
};

// Every field a spec file holds; any other key is a typo worth reporting.
const char* const kSpecFields[] = {"name",
                                   "display_name",
                                   "match",
                                   "memory_bandwidth_bytes_per_s",
                                   "fp16_tensor_flops_per_s",
                                   "int8_tensor_ops_per_s",
                                   "fp8_tensor_flops_per_s",
                                   "fp32_flops_per_s",
                                   "memory_bytes",
                                   "l2_bytes",
                                   "sm_count",
                                   "interconnect",
                                   "source"};

const char* const kInterconnectFields[] = {"kind", "bandwidth_bytes_per_s", "latency_s", "source"};

Interconnect read_interconnect(const fs::path& file, const nlohmann::json& value) {
  SpecFileReader reader(file, value);
  if (!value.is_object()) reader.fail("field \"interconnect\" must be an object, got " + value.dump());
  for (const auto& item : value.items())
    if (std::find_if(std::begin(kInterconnectFields), std::end(kInterconnectFields),
                     [&](const char* known) { return item.key() == known; }) == std::end(kInterconnectFields))
      reader.fail("unknown field \"interconnect." + item.key() + "\"");
  Interconnect link;
  link.kind = reader.text("kind");
  if (link.kind != "nvlink" && link.kind != "pcie")
    reader.fail("field \"interconnect.kind\" must be \"nvlink\" or \"pcie\", got \"" + link.kind + "\"");
  link.bandwidth_bytes_per_s = reader.positive_number("bandwidth_bytes_per_s");
  link.latency_s = reader.positive_number("latency_s");
  link.source = reader.text("source");
  return link;
}

GpuSpec read_spec_file(const fs::path& file) {
  const nlohmann::json root = read_json_file(file, kMaxSmallJsonFileBytes, "GPU spec file");
  SpecFileReader reader(file, root);
  if (!root.is_object()) reader.fail("must hold a JSON object");
  for (const auto& item : root.items()) {
    const std::string& key = item.key();
    if (std::find_if(std::begin(kSpecFields), std::end(kSpecFields),
                     [&key](const char* known) { return key == known; }) == std::end(kSpecFields))
      reader.fail("unknown field \"" + key + "\"");
  }
  GpuSpec spec;
  spec.name = reader.text("name");
  if (spec.name != file.stem().string())
    reader.fail("field \"name\" = \"" + spec.name + "\" must equal the file name \"" + file.stem().string() + "\"");
  spec.display_name = reader.text("display_name");
  spec.match = reader.text_list("match");
  spec.memory_bandwidth_bytes_per_s = reader.positive_number("memory_bandwidth_bytes_per_s");
  spec.fp16_tensor_flops_per_s = reader.positive_number("fp16_tensor_flops_per_s");
  spec.int8_tensor_ops_per_s = reader.positive_number("int8_tensor_ops_per_s");
  if (root.contains("fp8_tensor_flops_per_s")) spec.fp8_tensor_flops_per_s = reader.positive_number("fp8_tensor_flops_per_s");
  spec.fp32_flops_per_s = reader.positive_number("fp32_flops_per_s");
  spec.memory_bytes = reader.positive_integer("memory_bytes");
  spec.l2_bytes = reader.positive_integer("l2_bytes");
  spec.sm_count = reader.positive_integer("sm_count");
  if (root.contains("interconnect")) spec.interconnect = read_interconnect(file, root.at("interconnect"));
  spec.source = reader.text("source");
  return spec;
}

std::string lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return lower;
}

// Lower case, surrounding blanks and a leading "nvidia " removed.
std::string normalized_device_name(std::string_view device_name) {
  std::string name = lowercase(device_name);
  const size_t first = name.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  name = name.substr(first, name.find_last_not_of(" \t\r\n") - first + 1);
  constexpr std::string_view kVendor = "nvidia ";
  if (name.starts_with(kVendor)) name.erase(0, kVendor.size());
  return name;
}

const GpuSpec* find_by_device_name(const std::vector<GpuSpec>& specs, std::string_view device_name) {
  const std::string wanted = normalized_device_name(device_name);
  if (wanted.empty()) return nullptr;
  for (const GpuSpec& spec : specs)
    for (const std::string& candidate : spec.match)
      if (normalized_device_name(candidate) == wanted) return &spec;
  return nullptr;
}

}  // namespace

nlohmann::json Interconnect::to_json() const {
  return {{"kind", kind}, {"bandwidth_bytes_per_s", bandwidth_bytes_per_s}, {"latency_s", latency_s}, {"source", source}};
}

nlohmann::json GpuSpec::to_json() const {
  nlohmann::json json = {{"name", name},
          {"display_name", display_name},
          {"match", match},
          {"memory_bandwidth_bytes_per_s", memory_bandwidth_bytes_per_s},
          {"fp16_tensor_flops_per_s", fp16_tensor_flops_per_s},
          {"int8_tensor_ops_per_s", int8_tensor_ops_per_s},
          {"fp8_tensor_flops_per_s", fp8_tensor_flops_per_s ? nlohmann::json(*fp8_tensor_flops_per_s) : nlohmann::json(nullptr)},
          {"fp32_flops_per_s", fp32_flops_per_s},
          {"memory_bytes", memory_bytes},
          {"l2_bytes", l2_bytes},
          {"sm_count", sm_count},
          {"source", source}};
  if (interconnect) json["interconnect"] = interconnect->to_json();
  return json;
}

fs::path gpu_spec_dir() { return source_dir() / "engine" / "roofline" / "gpus"; }

std::vector<GpuSpec> load_gpu_specs() {
  const fs::path dir = gpu_spec_dir();
  std::error_code error;
  if (!fs::is_directory(dir, error))
    throw InputError(dir.string() + ": GPU spec folder not found (set ROOFLM_SOURCE_DIR to the rooflm source tree)");
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<GpuSpec> specs;
  for (const fs::path& file : files) specs.push_back(read_spec_file(file));
  if (specs.empty()) throw InputError(dir.string() + ": no GPU spec files (*.json) found");
  return specs;
}

std::optional<GpuSpec> match_gpu_spec(std::string_view device_name) {
  const std::vector<GpuSpec> specs = load_gpu_specs();
  if (const GpuSpec* spec = find_by_device_name(specs, device_name)) return *spec;
  return std::nullopt;
}

GpuSpec gpu_spec(std::string_view name) {
  const std::vector<GpuSpec> specs = load_gpu_specs();
  const std::string wanted = lowercase(name);
  for (const GpuSpec& spec : specs)
    if (lowercase(spec.name) == wanted) return spec;
  if (const GpuSpec* spec = find_by_device_name(specs, name)) return *spec;

  // Suggest every name the input is a prefix of ("h100" -> h100-pcie, h100-sxm), else the nearest.
  std::string valid, suggestion;
  size_t nearest_distance = std::numeric_limits<size_t>::max();
  std::string nearest;
  for (const GpuSpec& spec : specs) {
    valid += (valid.empty() ? "" : ", ") + spec.name;
    if (!wanted.empty() && spec.name.starts_with(wanted))
      suggestion += (suggestion.empty() ? "\"" : " or \"") + spec.name + "\"";
    const size_t distance = edit_distance(wanted, spec.name);
    if (distance < nearest_distance) {
      nearest_distance = distance;
      nearest = spec.name;
    }
  }
  if (suggestion.empty()) suggestion = "\"" + nearest + "\"";
  throw InputError("unknown GPU \"" + std::string(name) + "\" (did you mean " + suggestion + "?); known GPUs: " +
                   valid + " (spec files in " + gpu_spec_dir().string() + ")");
}

}  // namespace rooflm
