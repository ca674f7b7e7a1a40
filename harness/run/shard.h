// Deterministic sharding of a matrix: shard I of N (1-based) takes the cells whose expansion
// index is I-1 modulo N, so every cell lands in exactly one shard and shards differ by at most
// one cell. A cell's repeats stay together (its failure rate needs them all).
//
//   WEDGE_TRY(run::Shard s, run::parse_shard("2/4"));
//   if (run::in_shard(s, cell.index)) ...
#pragma once

#include <string>

#include "harness/util/result.h"

namespace wedge::run {

struct Shard {
  int index = 1;  // 1-based
  int count = 1;
  [[nodiscard]] bool whole() const { return count == 1; }
  [[nodiscard]] std::string name() const;  // "2/4"
};

// "I/N" with 1 <= I <= N (GitLab's CI_NODE_INDEX/CI_NODE_TOTAL are 1-based).
[[nodiscard]] Result<Shard> parse_shard(const std::string& text);

// Whether the cell at this expansion index belongs to the shard.
[[nodiscard]] bool in_shard(const Shard& shard, int cell_index);

}  // namespace wedge::run
