// Codec kernels: reading the metadata of a 512x512 CT image and of a metadata-heavy RT
// Structure Set, a full read (from memory and through MappedFile), the dump listing and
// DICOM JSON. Inputs come from bench/make_bench_files.py (BASTION_BENCH_DATA, default
// build/bench-data); a missing input skips the kernel with an error naming the file.
// Counters: items/s are files/s, bytes/s are input bytes, elements/s count every element
// at every depth (sequence items included).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "dicom/dump.h"
#include "dicom/json_model.h"
#include "dicom/reader.h"

namespace bastion::dicom {
namespace {

constexpr const char kCt[] = "ct_512.dcm";
constexpr const char kRtStruct[] = "rtstruct_heavy.dcm";

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

// Every element at every depth, counted with an explicit stack (no recursion).
std::int64_t CountElements(const DataSet& root) {
  std::int64_t count = 0;
  std::vector<const DataSet*> pending{&root};
  while (!pending.empty()) {
    const DataSet* set = pending.back();
    pending.pop_back();
    for (const Element& element : set->elements()) {
      ++count;
      for (const DataSet& item : element.items) pending.push_back(&item);
    }
  }
  return count;
}

void SetCounters(benchmark::State& state, std::int64_t bytes_per_file, std::int64_t elements) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * bytes_per_file);
  state.counters["elements"] = static_cast<double>(elements);
  state.counters["elements/s"] = benchmark::Counter(static_cast<double>(elements),
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

std::int64_t SizeOf(const ByteSource& source) {
  return static_cast<std::int64_t>(source.bytes().size());
}

ReadOptions MetadataOnly() {
  ReadOptions options;
  options.stop_before = tags::kPixelData;
  return options;
}

void ReadFromMemory(benchmark::State& state, const char* name, const ReadOptions& options) {
  auto source = Load(name, state);
  if (!source) return;
  auto first = ReadPart10(source, options);
  if (!first.ok()) return state.SkipWithError(first.status().ToString().c_str());
  const std::int64_t elements = CountElements(first->dataset);
  for (auto _ : state) {
    auto file = ReadPart10(source, options);
    benchmark::DoNotOptimize(file);
  }
  SetCounters(state, SizeOf(*source), elements);
}

void BM_ReadMetadataCt512(benchmark::State& state) { ReadFromMemory(state, kCt, MetadataOnly()); }
void BM_ReadMetadataRtStruct(benchmark::State& state) {
  ReadFromMemory(state, kRtStruct, MetadataOnly());
}
// The whole file; the 512 KiB of pixel data is referenced, not copied.
void BM_ReadWholeCt512(benchmark::State& state) { ReadFromMemory(state, kCt, ReadOptions{}); }

// open + mmap + read + munmap each iteration (page cache warm).
void BM_ReadWholeCt512Mapped(benchmark::State& state) {
  const std::string path = DataPath(kCt);
  auto first = MappedFile::Open(path);
  if (!first.ok()) return state.SkipWithError(first.status().ToString().c_str());
  auto parsed = ReadPart10(*first);
  if (!parsed.ok()) return state.SkipWithError(parsed.status().ToString().c_str());
  const std::int64_t elements = CountElements(parsed->dataset);
  const std::int64_t size = SizeOf(**first);
  for (auto _ : state) {
    auto mapped = MappedFile::Open(path);
    if (!mapped.ok()) return state.SkipWithError(mapped.status().ToString().c_str());
    auto file = ReadPart10(*mapped);
    benchmark::DoNotOptimize(file);
  }
  SetCounters(state, size, elements);
}

// The `bastion dump` listing of an already-parsed file.
void Dump(benchmark::State& state, const char* name) {
  auto source = Load(name, state);
  if (!source) return;
  auto file = ReadPart10(source);
  if (!file.ok()) return state.SkipWithError(file.status().ToString().c_str());
  std::size_t out_size = 0;
  for (auto _ : state) {
    std::string out = DumpPart10(*file);
    out_size = out.size();
    benchmark::DoNotOptimize(out);
  }
  SetCounters(state, SizeOf(*source), CountElements(file->dataset));
  state.counters["listing_bytes"] = static_cast<double>(out_size);
}
void BM_DumpCt512(benchmark::State& state) { Dump(state, kCt); }
void BM_DumpRtStruct(benchmark::State& state) { Dump(state, kRtStruct); }

void BM_EncodeJsonRtStruct(benchmark::State& state) {
  auto source = Load(kRtStruct, state);
  if (!source) return;
  auto file = ReadPart10(source);
  if (!file.ok()) return state.SkipWithError(file.status().ToString().c_str());
  std::size_t json_size = 0;
  for (auto _ : state) {
    auto json = EncodeJson(file->dataset);
    if (!json.ok()) return state.SkipWithError(json.status().ToString().c_str());
    json_size = json->size();
    benchmark::DoNotOptimize(json);
  }
  SetCounters(state, SizeOf(*source), CountElements(file->dataset));
  state.counters["json_bytes"] = static_cast<double>(json_size);
}

BENCHMARK(BM_ReadMetadataCt512);
BENCHMARK(BM_ReadWholeCt512);
BENCHMARK(BM_ReadWholeCt512Mapped);
BENCHMARK(BM_DumpCt512);
BENCHMARK(BM_ReadMetadataRtStruct)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DumpRtStruct)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeJsonRtStruct)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bastion::dicom

BENCHMARK_MAIN();
