#include "core/batch.h"

#include <utility>

namespace hpki {
namespace {
thread_local BatchScope* t_current = nullptr;
}  // namespace

BatchScope::BatchScope() noexcept : outer_(t_current) { t_current = this; }

BatchScope::~BatchScope() {
  t_current = outer_;
  for (auto& g : groups_) g.flush(std::move(g.items));
}

BatchScope* BatchScope::current() noexcept { return t_current; }

void BatchScope::add(const void* key, Flush flush, Item item) {
  for (auto& g : groups_) {
    if (g.key == key) {
      g.items.push_back(std::move(item));
      return;
    }
  }
  groups_.push_back({.key = key, .flush = std::move(flush), .items = {}});
  groups_.back().items.push_back(std::move(item));
}

}  // namespace hpki
