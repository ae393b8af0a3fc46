// Codec kernels: reading the metadata of a 512x512 CT image and of a metadata-heavy RT
// Structure Set, a full read, the dump listing and DICOM JSON. Inputs come from
// bench/make_bench_files.py (BASTION_BENCH_DATA, default build/bench-data).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "base/mapped_file.h"
#include "dicom/dump.h"
#include "dicom/json_model.h"
#include "dicom/reader.h"

namespace bastion::dicom {
namespace {

std::string DataPath(const std::string& name) {
  const char* dir = std::getenv("BASTION_BENCH_DATA");
  return std::string(dir != nullptr ? dir : "build/bench-data") + "/" + name;
}

// The file in memory, so that the benchmark measures parsing rather than the page cache.
std::shared_ptr<const ByteSource> Load(const std::string& name, benchmark::State& state) {
  std::ifstream in(DataPath(name), std::ios::binary);
  if (!in) {
    state.SkipWithError(("missing " + DataPath(name) + "; run bench/make_bench_files.py").c_str());
    return nullptr;
  }
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  return OwnedBytes::Make(std::move(bytes));
}

void ReadMetadata(benchmark::State& state, const std::string& name) {
  auto source = Load(name, state);
  if (!source) return;
  ReadOptions options;
  options.stop_before = tags::kPixelData;
  std::size_t elements = 0;
  for (auto _ : state) {
    auto file = ReadPart10(source, options);
    if (!file.ok()) {
      state.SkipWithError(file.status().ToString().c_str());
      return;
    }
    elements = file->dataset.size();
    benchmark::DoNotOptimize(file);
  }
  state.counters["top_level_elements"] = static_cast<double>(elements);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(source->bytes().size()));
}

void BM_ReadMetadataCt512(benchmark::State& state) { ReadMetadata(state, "ct_512.dcm"); }
void BM_ReadMetadataRtStruct(benchmark::State& state) { ReadMetadata(state, "rtstruct_heavy.dcm"); }

void BM_ReadWholeCt512(benchmark::State& state) {
  auto source = Load("ct_512.dcm", state);
  if (!source) return;
  for (auto _ : state) {
    auto file = ReadPart10(source);  // pixel data referenced, not copied
    benchmark::DoNotOptimize(file);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(source->bytes().size()));
}

void BM_ReadWholeCt512Mapped(benchmark::State& state) {
  for (auto _ : state) {
    auto mapped = MappedFile::Open(DataPath("ct_512.dcm"));
    if (!mapped.ok()) {
      state.SkipWithError(mapped.status().ToString().c_str());
      return;
    }
    auto file = ReadPart10(*mapped);
    benchmark::DoNotOptimize(file);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DumpCt512Metadata(benchmark::State& state) {
  auto source = Load("ct_512.dcm", state);
  if (!source) return;
  auto file = ReadPart10(source);
  if (!file.ok()) return state.SkipWithError(file.status().ToString().c_str());
  for (auto _ : state) {
    std::string out = DumpPart10(*file);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_EncodeJsonRtStruct(benchmark::State& state) {
  auto source = Load("rtstruct_heavy.dcm", state);
  if (!source) return;
  auto file = ReadPart10(source);
  if (!file.ok()) return state.SkipWithError(file.status().ToString().c_str());
  for (auto _ : state) {
    auto json = EncodeJson(file->dataset);
    benchmark::DoNotOptimize(json);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ReadMetadataCt512);
BENCHMARK(BM_ReadMetadataRtStruct)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadWholeCt512);
BENCHMARK(BM_ReadWholeCt512Mapped);
BENCHMARK(BM_DumpCt512Metadata);
BENCHMARK(BM_EncodeJsonRtStruct)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bastion::dicom

BENCHMARK_MAIN();
