// Dataset directory (DESIGN.md): clips.safetensors (all clips' tensors, frames packed end to end)
// + clips.jsonl (one line per clip: id, description, source, quality, split, ...).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stickgen/motion.hpp"
#include "stickgen/safetensors.hpp"

namespace stickgen {

// Per-clip record of clips.jsonl.
struct ClipRecord {
  std::string id;
  std::string description;
  std::string source;           // synthetic, cmu, ntu, humanml3d, ...
  std::string split;            // train / val / test / "" (uncurated)
  std::string base_id;          // the clip an augmentation came from ("" = itself)
  float quality = -1.f;         // curation score in [0, 1], -1 = not scored
  std::map<std::string, std::string> extra;  // other string fields, kept on round trips
};

// Streams clips into DIR. Nothing appears at DIR until finish(): tensors are spooled to
// temporary files beside it and the directory is swapped in with a rename.
class DatasetWriter {
 public:
  DatasetWriter(std::filesystem::path dir, SkeletonFormat format, int max_actors,
                int embedding_dim = 0);  // embedding_dim 0 = no embeddings tensor
  ~DatasetWriter();                      // abandons (deletes the spool) unless finished
  void add(const Clip& clip, const ClipRecord& record, const float* embedding = nullptr);
  void finish();
  size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Memory-mapped reader; clip(i) materialises one clip, records are all in memory.
class DatasetReader {
 public:
  explicit DatasetReader(const std::filesystem::path& dir);
  size_t size() const { return records_.size(); }
  SkeletonFormat format() const { return format_; }
  int max_actors() const { return max_actors_; }
  int embedding_dim() const { return embedding_dim_; }
  const ClipRecord& record(size_t i) const { return records_.at(i); }
  const std::vector<ClipRecord>& records() const { return records_; }
  Clip clip(size_t i) const;
  std::vector<float> embedding(size_t i) const;  // empty when the dataset has none
  int64_t frames(size_t i) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  SafeTensorsFile file_;
  std::vector<ClipRecord> records_;
  std::vector<int64_t> offsets_;  // [size()+1] frame offsets
  SkeletonFormat format_ = SkeletonFormat::v1;
  int max_actors_ = 1;
  int embedding_dim_ = 0;
};

}  // namespace stickgen
